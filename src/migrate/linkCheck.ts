import type pg from 'pg';
import { derivedNames, REGISTRY_SCHEMA } from '../config/derivedNames.js';
import type { Config, Region } from '../config/types.js';
import { ResidencyError } from '../errors.js';
import { literal, qualified } from '../sql/quote.js';

/** A link that does not work: the way it was used, and libpq's own reason. */
export interface LinkFailure {
  readonly from: string;
  /** The region it reaches: another, or `from` itself (the loopback of two-phase writes). */
  readonly to: string;
  /** postgres_fdw: a foreign partition's scan; dblink: a connection as the two-phase writes open it. */
  readonly way: 'postgres_fdw' | 'dblink';
  readonly reason: string;
}

/**
 * The reason a failed connection gives: libpq's own message (postgres_fdw and
 * dblink put it in the error's DETAIL, under "could not connect to server"),
 * on one line.
 * @example libpqReason({ message: 'could not connect to server "gbr"', detail: 'root certificate file "/x/root.crt" does not exist\nEither ...' }) // 'root certificate file "/x/root.crt" does not exist Either ...'
 */
export function libpqReason(error: unknown): string {
  const { message, detail } = error as { message?: unknown; detail?: unknown };
  const text = typeof detail === 'string' && detail.trim() !== '' ? detail : typeof message === 'string' ? message : String(error);
  return text.trim().replace(/\s+/g, ' ');
}

/**
 * What to do about a link that fails for `reason`, from what libpq said: a
 * CA that is missing or does not match (fdw.sslrootcert), a certificate not
 * valid for the host name, a password the regions disagree on, a pg_hba.conf
 * line, else the address.
 */
export function linkFix(config: Config, from: string, to: Region, reason: string): string {
  const again = 'then run `pg-residency migrate up` again';
  if (/does not match host name|server certificate for/i.test(reason)) {
    return `the certificate of "${to.name}" is not valid for the name its peers use (fdw.host ${to.fdw.host}): set fdw.host of "${to.name}" in regions.yaml to a name the certificate lists, or reissue it for that name; ${again}`;
  }
  if (/root certificate|certificate verify failed|certificate/i.test(reason)) {
    return `set fdw.sslrootcert of region "${to.name}" in regions.yaml to the CA file that signed its server certificate, as a path the server of "${from}" can read (relative paths are from its data directory), or add the CA to that file; ${again}. On the dev fleet \`pg-residency dev down\` and \`dev up\` start the servers knowing the fleet's CA`;
  }
  if (/password authentication failed|no password supplied|password is required|SASL authentication/i.test(reason)) {
    return `the link role "${config.link.role}"'s password in "${to.name}" is not the one "${from}" uses: set ${to.fdw.passwordEnv} to the same value for every region's migrate, then run \`pg-residency migrate up --all\``;
  }
  if (/pg_hba\.conf/i.test(reason)) {
    return `let the link role "${config.link.role}" log in to "${to.name}" from "${from}": add a hostssl line for it (scram-sha-256, or cert) to ${to.name}'s pg_hba.conf and reload; ${again}`;
  }
  return `check that "${to.name}" is up and that its fdw host and port in regions.yaml (${to.fdw.host}:${to.fdw.port}) are where "${from}" reaches it; ${again}`;
}

/**
 * Tests every link a region has, in both ways the generated functions use
 * it, after `migrate up` has bound the servers and set the passwords: a
 * trivial scan of the first entity's foreign partition of each other region
 * (postgres_fdw), and a dblink connection to each region, the region itself
 * included, through `residency.connect_failures` (as two-phase writes open
 * it). Each logs in to the other side as the link role, through the user
 * mapping. Reads no row value; returns the links that fail.
 */
export async function checkRegionLinks(client: pg.Client, config: Config, region: Region): Promise<LinkFailure[]> {
  const { rows } = await client.query<{ srvname: string }>(
    `SELECT s.srvname FROM pg_catalog.pg_foreign_server s
       JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid = s.srvfdw WHERE w.fdwname = 'postgres_fdw'`,
  );
  const servers = new Set(rows.map((r) => r.srvname));
  const linked = config.regions.filter((r) => servers.has(r.name));
  const failures: LinkFailure[] = [];
  const entity = config.entities[0];
  for (const to of linked.filter((r) => r.name !== region.name && entity !== undefined)) {
    const partition = qualified(to.name, derivedNames(entity!.name).details);
    const exists = await client.query<{ t: string | null }>(`SELECT pg_catalog.to_regclass(${literal(partition)})::text AS t`);
    if (exists.rows[0]?.t === null) continue;
    try {
      await client.query(`SELECT count(*) FROM (SELECT 1 FROM ${partition} LIMIT 1) s`);
    } catch (error) {
      failures.push({ from: region.name, to: to.name, way: 'postgres_fdw', reason: libpqReason(error) });
    }
  }
  const connect = `${qualified(REGISTRY_SCHEMA, 'connect_failures')}(text[])`;
  const present = await client.query<{ p: string | null }>(`SELECT pg_catalog.to_regprocedure(${literal(connect)})::text AS p`);
  if (present.rows[0]?.p !== null && linked.length > 0) {
    const down = await client.query<{ failures: Record<string, string> }>(
      `SELECT ${qualified(REGISTRY_SCHEMA, 'connect_failures')}($1::text[]) AS failures`,
      [linked.map((r) => r.name)],
    );
    for (const [to, reason] of Object.entries(down.rows[0]?.failures ?? {}))
      failures.push({ from: region.name, to, way: 'dblink', reason });
  }
  return failures;
}

/** The error of a region whose links fail: each link (from -> to, which way), libpq's reason and the fix. */
export function linkCheckError(config: Config, region: Region, failures: readonly LinkFailure[]): ResidencyError {
  const lines = failures.map((f) => {
    const to = config.regions.find((r) => r.name === f.to)!;
    return `  ${f.from} -> ${f.to}${f.to === f.from ? ' (loopback)' : ''} by ${f.way}: ${f.reason}\n    fix: ${linkFix(config, f.from, to, f.reason)}`;
  });
  return new ResidencyError(
    'MIGRATION',
    `region "${region.name}": its migrations are applied, but ${failures.length === 1 ? 'a link does' : `${failures.length} links do`} not work as the link role "${config.link.role}", so writes across regions would fail (RS011):\n${lines.join('\n')}`,
  );
}
