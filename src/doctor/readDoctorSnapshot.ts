import type pg from 'pg';
import type { Config, Major, Region } from '../config/types.js';
import { linkRoleLogSettings } from '../plan/linkRoleSettings.js';
import { REGISTRY_SCHEMA } from '../config/derivedNames.js';
import { qualified } from '../sql/quote.js';
import { DBLINK_SCHEMA } from './adminSetupSql.js';
import type { DoctorSnapshot } from './doctorSnapshot.js';

/** The settings the rules read; log ones are kept only where the value is the server's own. */
const SETTINGS = [
  'max_prepared_transactions',
  'max_connections',
  'log_statement',
  'log_min_duration_statement',
  'log_min_error_statement',
  'log_parameter_max_length_on_error',
];
/** pg_settings sources that are not the server's own value. */
const NOT_SERVER = ['database', 'user', 'database user', 'client', 'session'];
/** How long a link probe waits for the other region (libpq connect_timeout, seconds). */
const PROBE_CONNECT_TIMEOUT = 5;

const options = (list: readonly string[] | null): Record<string, string> =>
  Object.fromEntries((list ?? []).map((o) => [o.slice(0, o.indexOf('=')), o.slice(o.indexOf('=') + 1)]));

/** libpq's own reason, which dblink gives as the error's DETAIL. */
const reason = (error: unknown): string => {
  const e = error as { message?: string; detail?: string; code?: string };
  return [e.message, e.detail?.trim()].filter(Boolean).join(': ') + (e.code ? ` [SQLSTATE ${e.code}]` : '');
};

/**
 * Reads what the doctor rules need from one region, inside the caller's READ
 * ONLY transaction. The one thing it does beyond reading: where the region is
 * migrated, it opens (and closes) a dblink connection through each other
 * region's server, as the write functions do, to learn libpq's verdict.
 */
export async function readDoctorSnapshot(client: pg.Client, config: Config, region: Region): Promise<DoctorSnapshot> {
  const q = async <T extends pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<T[]> => (await client.query<T>(sql, params)).rows;
  const [base] = await q<{
    user: string;
    database: string;
    num: number;
    version: string;
    superuser: boolean;
    createrole: boolean;
    owner: string;
    owns: boolean;
    create_db: boolean;
    ssl: boolean | null;
    ssl_version: string | null;
  }>(
    `SELECT current_user AS user, current_database() AS database,
       pg_catalog.current_setting('server_version_num')::int AS num, pg_catalog.current_setting('server_version') AS version,
       r.rolsuper AS superuser, r.rolcreaterole AS createrole,
       pg_catalog.pg_get_userbyid(d.datdba) AS owner, pg_catalog.pg_has_role(d.datdba, 'MEMBER') AS owns,
       pg_catalog.has_database_privilege(d.oid, 'CREATE') AS create_db,
       s.ssl, s.version AS ssl_version
     FROM pg_catalog.pg_roles r, pg_catalog.pg_database d
     LEFT JOIN pg_catalog.pg_stat_ssl s ON s.pid = pg_catalog.pg_backend_pid()
     WHERE r.rolname = current_user AND d.datname = current_database()`,
  );
  if (base === undefined) throw new Error('cannot read the current role and database');
  const major = Math.floor(base.num / 10000);
  const settings = await q<{ name: string; setting: string; source: string }>(
    'SELECT name, setting, source FROM pg_catalog.pg_settings WHERE name = ANY ($1)',
    [SETTINGS],
  );
  const roleSettings = await q<{ role: string; database: string; config: string[] }>(
    `SELECT COALESCE(r.rolname, '') AS role, COALESCE(d.datname, '') AS database, s.setconfig AS config
       FROM pg_catalog.pg_db_role_setting s LEFT JOIN pg_catalog.pg_roles r ON r.oid = s.setrole LEFT JOIN pg_catalog.pg_database d ON d.oid = s.setdatabase
      WHERE s.setdatabase IN (0, (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()))`,
  );
  const extensions = await q<{ name: string; schema: string }>(
    `SELECT e.extname AS name, n.nspname AS schema FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace`,
  );
  const wanted = [...new Set(['postgres_fdw', 'dblink', ...config.extensions])];
  // a control file this version cannot parse makes the whole view fail: then it is not known
  const available = await attempt<{ name: string; trusted: boolean }>(
    q,
    major >= 13
      ? 'SELECT name, bool_or(trusted) AS trusted FROM pg_catalog.pg_available_extension_versions WHERE name = ANY ($1) GROUP BY name'
      : 'SELECT name, false AS trusted FROM pg_catalog.pg_available_extensions WHERE name = ANY ($1)',
    [wanted],
  );
  const [fdw] = await q<{ usage: boolean }>(
    `SELECT pg_catalog.has_foreign_data_wrapper_privilege(oid, 'USAGE') AS usage FROM pg_catalog.pg_foreign_data_wrapper WHERE fdwname = 'postgres_fdw'`,
  );
  const [dblinkSchema] = await q<{ name: string; usage: boolean; public_usage: boolean }>(
    `SELECT n.nspname AS name, pg_catalog.has_schema_privilege(n.oid, 'USAGE') AS usage,
       EXISTS (SELECT FROM pg_catalog.aclexplode(COALESCE(n.nspacl, pg_catalog.acldefault('n', n.nspowner))) a
               WHERE a.grantee = 0 AND a.privilege_type = 'USAGE') AS public_usage
     FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'dblink'`,
  );
  const dblinkFunctions = await q<{ signature: string; execute: boolean; public_execute: boolean }>(
    `SELECT p.oid::pg_catalog.regprocedure::text AS signature, pg_catalog.has_function_privilege(p.oid, 'EXECUTE') AS execute,
       EXISTS (SELECT FROM pg_catalog.aclexplode(COALESCE(p.proacl, pg_catalog.acldefault('f', p.proowner))) a
               WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE') AS public_execute
     FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid AND e.extname = 'dblink'
     JOIN pg_catalog.pg_proc p ON p.oid = d.objid
     WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass AND d.deptype = 'e'
     ORDER BY 1`,
  );
  const parameterPrivileges =
    major >= 15
      ? await q<{ name: string; granted: boolean }>(
          `SELECT n AS name, pg_catalog.has_parameter_privilege(n, 'SET') AS granted FROM unnest($1::text[]) n`,
          [linkRoleLogSettings(major as Major).map((s) => s.name)],
        )
      : [];
  const [link] = await q<{ exists: boolean }>('SELECT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = $1) AS exists', [
    config.link.role,
  ]);
  const servers = await q<{ name: string; options: string[] | null; mapped: boolean }>(
    `SELECT s.srvname AS name, s.srvoptions AS options,
       EXISTS (SELECT FROM pg_catalog.pg_user_mappings u WHERE u.srvid = s.oid AND u.usename IN (current_user, 'public')) AS mapped
     FROM pg_catalog.pg_foreign_server s JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid = s.srvfdw
     WHERE w.fdwname = 'postgres_fdw' ORDER BY 1`,
  );
  // (a migrator that does not own the registry may not read it: then not known)
  const [gateTable] = await q<{ readable: boolean }>(
    `SELECT pg_catalog.has_schema_privilege(n.oid, 'USAGE') AND pg_catalog.has_table_privilege(c.oid, 'SELECT') AS readable
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = 'write_gate'`,
    [REGISTRY_SCHEMA],
  );
  const gate =
    gateTable?.readable === true
      ? await q<{ slots: number }>(`SELECT slots::int AS slots FROM ${qualified(REGISTRY_SCHEMA, 'write_gate')} WHERE region = $1`, [
          region.name,
        ])
      : undefined;
  const snapshotBase = {
    major,
    version: base.version,
    ssl: base.ssl === true,
    sslVersion: base.ssl_version,
    user: base.user,
    database: base.database,
    superuser: base.superuser,
    createrole: base.createrole,
    databaseOwner: base.owner,
    ownsDatabase: base.owns,
    createOnDatabase: base.create_db,
    extensions,
    available: 'error' in available ? null : available.rows,
    fdwUsage: fdw === undefined ? null : fdw.usage,
    dblinkSchema:
      dblinkSchema === undefined ? null : { name: dblinkSchema.name, usage: dblinkSchema.usage, publicUsage: dblinkSchema.public_usage },
    dblinkFunctions: dblinkFunctions.map((f) => ({ signature: f.signature, execute: f.execute, publicExecute: f.public_execute })),
    parameterPrivileges,
    settings: Object.fromEntries(
      settings.filter((s) => !(s.name.startsWith('log_') && NOT_SERVER.includes(s.source))).map((s) => [s.name, s.setting]),
    ),
    roleSettings,
    linkRoleExists: link?.exists === true,
    servers: servers.map((s) => ({ name: s.name, options: options(s.options) })),
    ...(gate === undefined ? {} : { writeGate: gate[0]?.slots ?? null }),
  };
  return {
    ...snapshotBase,
    linkProbes: await probeLinks(
      q,
      config,
      region,
      servers,
      dblinkSchema?.name === DBLINK_SCHEMA && (base.superuser || dblinkSchema.usage),
    ),
    files: base.superuser ? await fileChecks(q, config, region) : [],
  };
}

type Query = <T extends pg.QueryResultRow>(sql: string, params?: unknown[]) => Promise<T[]>;

/** A statement that may fail without ending the transaction: its rows, or its error. */
async function attempt<T extends pg.QueryResultRow>(
  q: Query,
  sql: string,
  params?: unknown[],
): Promise<{ rows: T[] } | { error: unknown }> {
  await q('SAVEPOINT rsd_doctor');
  try {
    const rows = await q<T>(sql, params);
    await q('RELEASE SAVEPOINT rsd_doctor');
    return { rows };
  } catch (error) {
    await q('ROLLBACK TO SAVEPOINT rsd_doctor');
    return { error };
  }
}

/** Each other region's link, opened through its server as the write functions open it (residency.connstr), then closed. */
async function probeLinks(
  q: Query,
  config: Config,
  region: Region,
  servers: readonly { name: string; mapped: boolean }[],
  dblinkUsable: boolean,
): Promise<DoctorSnapshot['linkProbes']> {
  if (!dblinkUsable) return [];
  const connstr = qualified(REGISTRY_SCHEMA, 'connstr');
  const [usable] = await q<{ ok: boolean }>(
    `SELECT CASE WHEN pg_catalog.to_regprocedure($1) IS NULL THEN false
                 ELSE pg_catalog.has_schema_privilege($2, 'USAGE') AND pg_catalog.has_function_privilege(pg_catalog.to_regprocedure($1), 'EXECUTE') END AS ok`,
    [`${connstr}(text)`, REGISTRY_SCHEMA],
  );
  if (usable?.ok !== true) return [];
  const probes = [];
  for (const other of config.regions.filter((r) => r.name !== region.name)) {
    if (!servers.some((s) => s.name === other.name && s.mapped)) continue;
    const name = `pg-residency doctor:${other.name}`;
    const opened = await attempt(q, `SELECT ${qualified(DBLINK_SCHEMA, 'dblink_connect')}($1, ${connstr}($2) || $3)`, [
      name,
      other.name,
      ` connect_timeout=${PROBE_CONNECT_TIMEOUT}`,
    ]);
    await attempt(
      q,
      `SELECT ${qualified(DBLINK_SCHEMA, 'dblink_disconnect')}($1) WHERE $1 = ANY (COALESCE(${qualified(DBLINK_SCHEMA, 'dblink_get_connections')}(), '{}'))`,
      [name],
    );
    probes.push('error' in opened ? { server: other.name, ok: false, error: reason(opened.error) } : { server: other.name, ok: true });
  }
  return probes;
}

/** The TLS files regions.yaml names for links from this region, looked up on its server (pg_stat_file: superusers only). */
async function fileChecks(q: Query, config: Config, region: Region): Promise<DoctorSnapshot['files']> {
  const paths = new Set<string>();
  for (const other of config.regions.filter((r) => r.name !== region.name)) {
    if (other.fdw.sslrootcert !== undefined) paths.add(other.fdw.sslrootcert);
    if (other.fdw.auth === 'cert') for (const p of [config.link.sslcert, config.link.sslkey]) if (p !== undefined) paths.add(p);
  }
  const out = [];
  for (const path of paths) {
    const found = await attempt<{ exists: boolean }>(q, 'SELECT (pg_catalog.pg_stat_file($1, true)).modification IS NOT NULL AS exists', [
      path,
    ]);
    // PostgreSQL 10 looks up no file outside the data directory, even for a superuser: not known there
    out.push({ path, exists: 'error' in found ? null : found.rows[0]?.exists !== false });
  }
  return out;
}
