import { ResidencyError } from '../errors.js';
import { clusterError } from './clusterError.js';

/** Any error met while handling a region, as a ResidencyError that names the region. */
export function toClusterError(region: string, error: unknown): ResidencyError {
  if (error instanceof ResidencyError) return error;
  return clusterError(region, error instanceof Error ? error.message : String(error), error);
}
