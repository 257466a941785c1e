import type pg from 'pg';
import type { Config, Region } from '../config/types.js';
import { ident, literal } from '../sql/quote.js';

/** The session table `pg-residency migrate` fills before running migrations; `residency.bind_server()` reads it. */
export const BINDINGS_TABLE = 'residency_server_options';

/** The options {@link serverConnectionOptions} may bind; one that regions.yaml no longer sets is dropped. */
const OPTIONAL_OPTIONS = ['sslrootcert', 'sslcrl'] as const;

/**
 * The connection options of the foreign server that reaches `target`: where
 * it is, and how its certificate is checked (`sslmode`, the CA in
 * `sslrootcert`, a revocation list in `sslcrl`). They differ per environment
 * (dev, staging, production), so they are never in a generated file:
 * `migrate` binds them from regions.yaml. When the calling region (`from`)
 * has a pooler, its links go there instead: the pooler's host and port, the
 * database named after `target` (the pooler's alias for it), the pooler's
 * sslmode and CA; the pooler reaches `target` itself.
 * @example serverConnectionOptions(gbr) // { host: 'gbr.internal', port: '5432', dbname: 'residency', sslmode: 'verify-full', connect_timeout: '2', sslrootcert: '/etc/pg/ca.crt' }
 * @example serverConnectionOptions(gbr, usa) // { host: '127.0.0.1', port: '6432', dbname: 'gbr', sslmode: 'verify-full', connect_timeout: '2', ... }
 */
export function serverConnectionOptions(target: Region, from?: Region): Record<string, string> {
  const { fdw } = target;
  const pooler = from?.pooler;
  if (pooler !== undefined) {
    return {
      host: pooler.host,
      port: String(pooler.port),
      dbname: target.name,
      sslmode: pooler.sslmode,
      connect_timeout: '2',
      ...(pooler.sslrootcert !== undefined ? { sslrootcert: pooler.sslrootcert } : {}),
    };
  }
  return {
    host: fdw.host,
    port: String(fdw.port),
    dbname: fdw.dbname,
    sslmode: fdw.sslmode,
    // a region that does not answer a connect within 2 s is unreachable: on
    // 10 and 11 a backend inside a connect ignores cancel and statement_timeout
    connect_timeout: '2',
    ...(fdw.sslrootcert !== undefined ? { sslrootcert: fdw.sslrootcert } : {}),
    ...(fdw.sslcrl !== undefined ? { sslcrl: fdw.sslcrl } : {}),
  };
}

/**
 * Fills this session's bindings table with every region's connection options
 * as region `from` reaches them,
 * so that a migration creating a server binds them in its own transaction
 * (`SELECT residency.bind_server('gbr')`).
 */
export async function prepareBindings(client: pg.Client, config: Config, from: Region): Promise<void> {
  await client.query(`CREATE TEMP TABLE IF NOT EXISTS ${ident(BINDINGS_TABLE)} (server text PRIMARY KEY, options text[] NOT NULL)`);
  await client.query(`TRUNCATE pg_temp.${ident(BINDINGS_TABLE)}`);
  for (const region of config.regions) {
    const options = Object.entries(serverConnectionOptions(region, from)).map(([k, v]) => `${k}=${v}`);
    await client.query(`INSERT INTO pg_temp.${ident(BINDINGS_TABLE)} (server, options) VALUES ($1, $2)`, [region.name, options]);
  }
}

/**
 * Re-binds the connection options of every server this region has for a
 * region of the config (`ALTER SERVER ... OPTIONS (SET ...)`), so a changed
 * host, port or TLS setting in regions.yaml takes effect on the next
 * `migrate up`; a CA or revocation list no longer set is dropped.
 */
export async function bindServers(client: pg.Client, config: Config, from: Region): Promise<void> {
  const { rows } = await client.query<{ srvname: string; srvoptions: string[] | null }>(
    `SELECT s.srvname, s.srvoptions FROM pg_catalog.pg_foreign_server s
       JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid = s.srvfdw WHERE w.fdwname = 'postgres_fdw'`,
  );
  for (const { srvname, srvoptions } of rows) {
    const region = config.regions.find((r) => r.name === srvname);
    if (region === undefined) continue;
    const current = new Map((srvoptions ?? []).map((o) => [o.slice(0, o.indexOf('=')), o.slice(o.indexOf('=') + 1)]));
    const wanted = serverConnectionOptions(region, from);
    const changes = Object.entries(wanted)
      .filter(([k, v]) => current.get(k) !== v)
      .map(([k, v]) => `${current.has(k) ? 'SET' : 'ADD'} ${ident(k)} ${literal(v)}`);
    for (const k of OPTIONAL_OPTIONS) if (current.has(k) && wanted[k] === undefined) changes.push(`DROP ${ident(k)}`);
    if (changes.length > 0) await client.query(`ALTER SERVER ${ident(srvname)} OPTIONS (${changes.join(', ')})`);
  }
}
