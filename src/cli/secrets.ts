import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Where `dev up` keeps the local fleet's data and its generated secrets. */
export const STATE_DIR = '.pg-residency';

/**
 * Loads `.pg-residency/secrets.env` (written by `dev up`, mode 0600) for the
 * variables the environment does not already set, so the dev fleet's generated
 * passwords reach `migrate` without ever being written to regions.yaml.
 */
export function loadSecretsFile(env: NodeJS.ProcessEnv, stateDir = STATE_DIR): void {
  const file = join(stateDir, 'secrets.env');
  if (env === process.env && existsSync(file)) process.loadEnvFile(file);
}
