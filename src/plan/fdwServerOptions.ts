import type { Major } from '../config/types.js';

/**
 * Which postgres_fdw server options the *local* server's version accepts: an
 * option the version lacks is an error at CREATE SERVER time.
 */
export function fdwServerOptions(major: Major) {
  return {
    asyncCapable: major >= 14,
    batchSize: major >= 14,
    keepConnections: major >= 14,
    parallelCommit: major >= 15,
    parallelAbort: major >= 16,
  } as const;
}
