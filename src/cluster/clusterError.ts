import { ResidencyError } from '../errors.js';

/**
 * A `CLUSTER` error about one region of the local dev fleet. The message starts
 * with the region's name so that a list of them reads on its own.
 * @example clusterError('usa', 'port 54310 is taken').message // 'region "usa": port 54310 is taken'
 */
export function clusterError(region: string, message: string, cause?: unknown): ResidencyError {
  return new ResidencyError('CLUSTER', `region "${region}": ${message}`, cause === undefined ? undefined : { cause });
}
