import { existsSync, readFileSync } from 'node:fs';
import { parseSecrets, SECRETS_FILE_NAME } from '../cluster/devSecrets.js';
import { join } from 'node:path';

/** Where `dev up` keeps the local fleet's data and its generated secrets. */
export const STATE_DIR = '.pg-residency';

/**
 * Loads `.pg-residency/secrets.env` (written by `dev up`, mode 0600) for the
 * variables the environment does not already set, so the dev fleet's generated
 * passwords reach `migrate` without ever being written to regions.yaml.
 */
export function loadSecretsFile(env: NodeJS.ProcessEnv, stateDir: string): void {
  const file = join(stateDir, SECRETS_FILE_NAME);
  if (!existsSync(file)) return;
  for (const [name, value] of Object.entries(parseSecrets(readFileSync(file, 'utf8')))) {
    if (env[name] === undefined || env[name] === '') env[name] = value;
  }
}
