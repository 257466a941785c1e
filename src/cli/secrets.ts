import type { Env } from '../config/expandEnv.js';
import { devEnv } from '../cluster/devSecrets.js';

/** Where `dev up` keeps the local fleet's data and its generated secrets. */
export const STATE_DIR = '.pg-residency';

/**
 * The environment commands run with: a copy of `env` completed with
 * `<stateDir>/secrets.env` (written by `dev up`, mode 0600) for the variables
 * `env` leaves unset, so the dev fleet's generated passwords reach `migrate`
 * without ever being written to regions.yaml. The one place the CLI merges
 * them; `env` itself is never changed.
 */
export function withSecretsFile(env: Env, stateDir: string): Promise<Env> {
  return devEnv(stateDir, env);
}
