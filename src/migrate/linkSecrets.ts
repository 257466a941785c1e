import type pg from 'pg';
import type { Env } from '../config/expandEnv.js';
import type { Config, Region } from '../config/types.js';
import { ResidencyError } from '../errors.js';
import { MANAGED_ROLE_COMMENT } from '../plan/linkRoleSettings.js';
import { ident, literal } from '../sql/quote.js';
import { isPrintableAscii, scramVerifier } from './scramVerifier.js';

export interface LinkSecrets {
  /** The password of this region's own link role. */
  readonly own: string;
  /** The password to use for each other region's link role, by region name. */
  readonly targets: ReadonlyMap<string, string>;
}

/**
 * Reads the link-role passwords a region needs from the environment, or fails
 * naming every missing variable. Never returns or prints a password elsewhere.
 */
export function linkSecrets(config: Config, region: Region, env: Env): LinkSecrets {
  const missing = new Set<string>();
  const read = (variable: string) => {
    const value = env[variable];
    if (value === undefined || value === '') missing.add(variable);
    return value ?? '';
  };
  const own = read(region.fdw.passwordEnv);
  const targets = new Map(config.regions.filter((r) => r.name !== region.name).map((r) => [r.name, read(r.fdw.passwordEnv)] as const));
  if (missing.size > 0) {
    throw new ResidencyError(
      'CONFIG',
      `region "${region.name}": environment variable ${[...missing].join(', ')} is not set. It holds the password of the role "${config.link.role}" that regions use to reach each other; set it to the same value for every region's migrate (the local fleet keeps one in .pg-residency/secrets.env).`,
    );
  }
  return { own, targets };
}

/**
 * Sets this region's link-role password and adds the other regions' passwords
 * to the user mappings that exist so far. Idempotent; run after every `up`.
 */
export async function applyLinkSecrets(client: pg.Client, config: Config, secrets: LinkSecrets, region: string): Promise<void> {
  const role = await client.query<{ managed: boolean }>(
    `SELECT pg_catalog.shobj_description(oid, 'pg_authid') IS NOT DISTINCT FROM $2 AS managed FROM pg_catalog.pg_roles WHERE rolname = $1`,
    [config.link.role, MANAGED_ROLE_COMMENT],
  );
  if (role.rows[0] !== undefined && !role.rows[0].managed) {
    // Only a role pg-residency created gets its password set.
    throw new ResidencyError(
      'MIGRATION',
      `region "${region}": the role "${config.link.role}" exists and pg-residency did not create it (it lacks the comment '${MANAGED_ROLE_COMMENT}'), so its password is left alone; set link.role in regions.yaml to a new name`,
    );
  }
  if (role.rows[0] !== undefined) {
    const stored = isPrintableAscii(secrets.own) ? scramVerifier(secrets.own) : secrets.own;
    await client.query(`ALTER ROLE ${ident(config.link.role)} PASSWORD ${literal(stored)}`);
  }
  const { rows } = await client.query<{ srvname: string; has_password: boolean }>(
    `SELECT srvname, coalesce('password' = ANY (SELECT split_part(o, '=', 1) FROM unnest(umoptions) o), false) AS has_password
       FROM pg_catalog.pg_user_mappings WHERE usename = 'public'`,
  );
  for (const { srvname, has_password } of rows) {
    const password = secrets.targets.get(srvname);
    if (password === undefined) continue;
    await client.query(
      `ALTER USER MAPPING FOR PUBLIC SERVER ${ident(srvname)} OPTIONS (${has_password ? 'SET' : 'ADD'} password ${literal(password)})`,
    );
  }
}
