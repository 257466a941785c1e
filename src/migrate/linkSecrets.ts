import type pg from 'pg';
import type { Env } from '../config/expandEnv.js';
import type { Config, LinkAuth, Region } from '../config/types.js';
import { ResidencyError } from '../errors.js';
import { MANAGED_ROLE_COMMENT } from '../plan/linkRoleSettings.js';
import { ident, literal } from '../sql/quote.js';
import { isPrintableAscii, linkVerifier } from './scramVerifier.js';

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

/** How one region's user mapping authenticates its link to another region. */
export interface LinkAuthUsed {
  readonly target: string;
  readonly auth: LinkAuth;
}

/** The user-mapping options each way of authenticating sets; the other way's are dropped. */
function mappingOptions(config: Config, auth: LinkAuth, password: string): Record<string, string> {
  if (auth === 'password') return { password };
  // A certificate is no password: without password_required 'false',
  // postgres_fdw refuses the connection to every caller but a superuser.
  return { sslcert: config.link.sslcert!, sslkey: config.link.sslkey!, password_required: 'false' };
}
const MAPPING_OPTIONS = ['password', 'sslcert', 'sslkey', 'password_required'];

/**
 * The session's function that runs one statement with a secret put in it
 * server-side: `pg_temp.rsd_set_secret(statement, secret)` runs
 * `format(statement, secret)`, the statement's `%L` the secret as a literal.
 * Called with bind parameters, so no statement text that reaches the server
 * log holds the secret: `log_statement` (`ddl`, `mod`) judges only the
 * top-level statement, a SELECT, and PL/pgSQL's EXECUTE is not logged. An
 * error is raised again without the inner statement as its context. A
 * temporary function needs no right beyond TEMP on the database (a migrator
 * that is not a superuser has it, and migrate already uses a temp table).
 */
async function defineSecretSetter(client: pg.Client): Promise<void> {
  await client.query(`CREATE OR REPLACE FUNCTION ${SECRET_SETTER}(statement text, secret text) RETURNS void
  LANGUAGE plpgsql AS $rsd$
BEGIN
  EXECUTE format(statement, secret);
EXCEPTION WHEN OTHERS THEN
  RAISE EXCEPTION USING ERRCODE = SQLSTATE, MESSAGE = SQLERRM;
END
$rsd$`);
}
const SECRET_SETTER = 'pg_temp.rsd_set_secret';

/** Runs `statement` with its `%L` replaced by `secret` on the server (see defineSecretSetter). */
async function setWithSecret(client: pg.Client, statement: string, secret: string): Promise<void> {
  await client.query(`SELECT ${SECRET_SETTER}($1, $2)`, [statement, secret]);
}

/** Text put into a format() string as it is: its `%` doubled. */
function escapeFormat(text: string): string {
  return text.replaceAll('%', '%%');
}

/**
 * Sets this region's link-role password, and gives every user mapping that
 * exists so far its way to log in to the other region: the link role's
 * certificate (`sslcert`, `sslkey`; no password stored) where that region
 * accepts one (its `fdw.auth`), else that region's password.
 * Idempotent; run after every `up`. No password is in any statement's text:
 * each goes to the server as a bind parameter (see defineSecretSetter), the
 * link role's own as its SCRAM verifier where it is ASCII (the same in every
 * region that shares the password, see linkVerifier).
 * Returns what each link uses.
 */
export async function applyLinkSecrets(client: pg.Client, config: Config, region: Region, secrets: LinkSecrets): Promise<LinkAuthUsed[]> {
  const role = await client.query<{ managed: boolean }>(
    `SELECT pg_catalog.shobj_description(oid, 'pg_authid') IS NOT DISTINCT FROM $2 AS managed FROM pg_catalog.pg_roles WHERE rolname = $1`,
    [config.link.role, MANAGED_ROLE_COMMENT],
  );
  if (role.rows[0] !== undefined && !role.rows[0].managed) {
    // Only a role pg-residency created gets its password set.
    throw new ResidencyError(
      'MIGRATION',
      `region "${region.name}": the role "${config.link.role}" exists and pg-residency did not create it (it lacks the comment '${MANAGED_ROLE_COMMENT}'), so its password is left alone; set link.role in regions.yaml to a new name`,
    );
  }
  await defineSecretSetter(client);
  if (role.rows[0] !== undefined) {
    // the same verifier in every region sharing the password: a link pooler's auth_file holds it (linkVerifier)
    const stored = isPrintableAscii(secrets.own) ? linkVerifier(secrets.own, config.link.role) : secrets.own;
    await setWithSecret(client, `ALTER ROLE ${escapeFormat(ident(config.link.role))} PASSWORD %L`, stored);
  }
  const { rows } = await client.query<{ srvname: string; options: string[] }>(
    `SELECT srvname, ARRAY(SELECT split_part(o, '=', 1) FROM unnest(umoptions) o) AS options
       FROM pg_catalog.pg_user_mappings WHERE usename = 'public' ORDER BY srvname`,
  );
  const used: LinkAuthUsed[] = [];
  for (const { srvname, options } of rows) {
    const target = config.regions.find((r) => r.name === srvname);
    // the loopback (a region's server for itself, for two-phase writes) logs in as its own link role
    const loopback = srvname === region.name;
    const password = loopback ? secrets.own : secrets.targets.get(srvname);
    if (target === undefined || password === undefined) continue;
    const wanted = mappingOptions(config, target.fdw.auth, password);
    // the password is the one value sent apart, as a bind parameter (%L)
    const changes = [
      ...Object.entries(wanted).map(
        ([k, v]) => `${options.includes(k) ? 'SET' : 'ADD'} ${ident(k)} ${k === 'password' ? '%L' : escapeFormat(literal(v))}`,
      ),
      ...MAPPING_OPTIONS.filter((k) => options.includes(k) && wanted[k] === undefined).map((k) => `DROP ${ident(k)}`),
    ];
    try {
      await setWithSecret(
        client,
        `ALTER USER MAPPING FOR PUBLIC SERVER ${escapeFormat(ident(srvname))} OPTIONS (${changes.join(', ')})`,
        wanted.password ?? '',
      );
    } catch (error) {
      if ((error as { code?: string }).code !== '42501' || target.fdw.auth !== 'cert') throw error;
      throw new ResidencyError(
        'MIGRATION',
        `region "${region.name}": the user mapping for server "${srvname}": only a superuser may give a user mapping the link role's certificate (link.sslcert) and password_required 'false'; run migrate as a superuser, or remove link.sslcert and link.sslkey from regions.yaml to log in with passwords`,
        { cause: error },
      );
    }
    if (!loopback) used.push({ target: srvname, auth: target.fdw.auth });
  }
  return used;
}
