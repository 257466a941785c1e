import type { Env } from '../config/expandEnv.js';

/**
 * The environment for initdb, pg_ctl and the servers: `base` without the
 * libpq variables (PGPORT, PGDATA, PGPASSWORD, ...) that could override what
 * pg-residency passes explicitly, and without the named secrets, so that no
 * password ends up in a server's environment.
 * @example serverEnv(process.env, ['PG_RESIDENCY_LINK_PASSWORD']).PGPASSWORD // undefined
 */
export function serverEnv(base: Env, secrets: readonly string[]): NodeJS.ProcessEnv {
  const hidden = new Set(secrets);
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(base)) {
    if (value !== undefined && !name.startsWith('PG') && !hidden.has(name)) env[name] = value;
  }
  return env;
}
