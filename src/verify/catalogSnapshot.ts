import { REGISTRY_SCHEMA } from '../config/derivedNames.js';
import type { Config } from '../config/types.js';
import { STALE_PREPARED, stalePreparedSql } from '../migrate/preparedParts.js';
import { literal } from '../sql/quote.js';
import { parsePrivileges, privilegeStatements, type PrivilegeSnapshot } from './privilegeSnapshot.js';
import type { RegionSession } from './regionSession.js';

/** What verify reads from one region's catalog, in one round trip. No row data. */
export interface CatalogSnapshot extends PrivilegeSnapshot {
  readonly major: number;
  readonly schemas: readonly string[];
  readonly relations: readonly {
    schema: string;
    name: string;
    kind: string;
    parent: string | null;
    bound: string | null;
    extension: boolean;
    owned: boolean;
  }[];
  readonly columns: readonly { schema: string; name: string; column: string; type: string }[];
  readonly constraints: readonly { schema: string; name: string; type: string; def: string }[];
  readonly foreignTables: readonly { schema: string; name: string; server: string; options: readonly string[] }[];
  readonly servers: readonly { name: string; wrapper: string; options: readonly string[] }[];
  /** `visible` false: the options are hidden from the verifying role (a server it does not own). */
  readonly mappings: readonly { server: string; role: string; options: readonly string[]; visible?: boolean }[];
  readonly grants: readonly { schema: string; name: string; grantee: string; privilege: string }[];
  readonly functions: readonly { schema: string; name: string; nargs: number; md5: string; oid: number; extension: boolean }[];
  readonly types: readonly { schema: string; name: string; extension: boolean }[];
  readonly signatures: readonly { sig: string; oid: number | null }[];
  readonly statistics: readonly { schema: string; name: string; kind: string; column: string }[];
  readonly publications: readonly { name: string; all: boolean; tables: readonly string[] }[];
  readonly settings: Readonly<Record<string, string | null>>;
  readonly roleSettings: readonly { role: string; database: string; config: readonly string[] }[];
  readonly statStatements: boolean;
  readonly linkSessionsWithoutTls: number;
  /** Parts of two-phase writes prepared here over a minute ago (gid, age in seconds). */
  readonly stalePrepared: readonly { gid: string; age: number }[];
  readonly normalisedTypes: Readonly<Record<string, string | null>>;
}

/** The settings the leak rules read (absent on older majors: NULL). */
export const LOG_SETTINGS = [
  'log_statement',
  'log_min_duration_statement',
  'log_min_error_statement',
  'log_parameter_max_length_on_error',
  'log_min_duration_sample',
  'log_statement_sample_rate',
  'log_transaction_sample_rate',
  'shared_preload_libraries',
  'pg_stat_statements.track_utility',
  'compute_query_id',
] as const;

const arr = (values: readonly string[]) => `ARRAY[${values.map((v) => literal(v)).join(', ')}]::text[]`;

/** The schemas pg-residency manages in a region: entity schemas, region schemas, its own, and those its migrations created. */
export function managedSchemas(config: Config, created: Iterable<string>): string[] {
  return [...new Set([...config.entities.map((e) => e.schema), ...config.regions.map((r) => r.name), REGISTRY_SCHEMA, ...created])].sort();
}

export async function readCatalog(
  session: RegionSession,
  config: Config,
  managed: readonly string[],
  signatures: readonly string[],
  preparedOlderThan = STALE_PREPARED,
): Promise<CatalogSnapshot> {
  const m = arr(managed);
  const ext = (cls: string, oid: string) =>
    `EXISTS (SELECT FROM pg_catalog.pg_depend dep WHERE dep.classid = ${literal(cls)}::regclass AND dep.objid = ${oid} AND dep.deptype = 'e')`;
  const types = [
    ...new Set(config.entities.flatMap((e) => [e.key, ...e.mirrored, ...e.resident].map((c): string => c.type)).concat('text')),
  ];
  const privileges = privilegeStatements(config, managed);
  const statements = [
    `SELECT current_setting('server_version_num')::int / 10000 AS major`,
    `SELECT nspname AS schema FROM pg_catalog.pg_namespace`,
    `SELECT n.nspname AS schema, c.relname AS name, c.relkind::text AS kind,
            (SELECT pn.nspname || '.' || pc.relname FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class pc ON pc.oid = i.inhparent
              JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace WHERE i.inhrelid = c.oid LIMIT 1) AS parent,
            pg_catalog.pg_get_expr(c.relpartbound, c.oid) AS bound, ${ext('pg_class', 'c.oid')} AS extension,
            EXISTS (SELECT FROM pg_catalog.pg_depend dep WHERE dep.classid = 'pg_class'::regclass AND dep.objid = c.oid AND dep.deptype IN ('a', 'i') AND c.relkind = 'S') AS owned
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ANY (${m}) AND c.relkind IN ('r', 'p', 'f', 'v', 'm', 'S')`,
    `SELECT n.nspname AS schema, c.relname AS name, a.attname AS column, pg_catalog.format_type(a.atttypid, NULL) AS type
       FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ANY (${m}) AND c.relkind IN ('r', 'p', 'f') AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    `SELECT n.nspname AS schema, c.relname AS name, k.contype::text AS type, pg_catalog.pg_get_constraintdef(k.oid) AS def
       FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_class c ON c.oid = k.conrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ANY (${m})`,
    `SELECT n.nspname AS schema, c.relname AS name, s.srvname AS server, coalesce(f.ftoptions, '{}') AS options
       FROM pg_catalog.pg_foreign_table f JOIN pg_catalog.pg_class c ON c.oid = f.ftrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_catalog.pg_foreign_server s ON s.oid = f.ftserver`,
    `SELECT s.srvname AS name, w.fdwname AS wrapper, coalesce(s.srvoptions, '{}') AS options
       FROM pg_catalog.pg_foreign_server s JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid = s.srvfdw`,
    // pg_user_mappings, not pg_user_mapping (superusers only): a migrator that is
    // not a superuser sees the options of the mappings of the servers it owns
    `SELECT u.srvname AS server, CASE WHEN u.umuser = 0 THEN 'PUBLIC' ELSE u.usename END AS role, coalesce(u.umoptions, '{}') AS options,
            u.umoptions IS NOT NULL AS visible
       FROM pg_catalog.pg_user_mappings u`,
    `SELECT n.nspname AS schema, c.relname AS name, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(a.grantee) END AS grantee, a.privilege_type AS privilege
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace, pg_catalog.aclexplode(c.relacl) a
      WHERE n.nspname = ANY (${m}) AND a.grantee <> c.relowner`,
    `SELECT n.nspname AS schema, p.proname AS name, p.pronargs::int AS nargs, md5(p.prosrc) AS md5, p.oid::int AS oid, ${ext('pg_proc', 'p.oid')} AS extension
       FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = ANY (${m})`,
    `SELECT n.nspname AS schema, t.typname AS name, ${ext('pg_type', 't.oid')} AS extension
       FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = ANY (${m}) AND t.typtype IN ('c', 'e', 'd', 'r')
        AND (t.typtype <> 'c' OR (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid) = 'c')`,
    `SELECT s AS sig, pg_catalog.to_regprocedure(s)::oid::int AS oid FROM unnest(${arr(signatures)}) s`,
    // pg_stats, not pg_statistic (superusers only): the rows of every column the
    // verifying role may read, which includes every table the migrations made
    `SELECT DISTINCT n.nspname AS schema, c.relname AS name, c.relkind::text AS kind, st.attname AS column
       FROM pg_catalog.pg_stats st JOIN pg_catalog.pg_namespace n ON n.nspname = st.schemaname
       JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = st.tablename
      WHERE n.nspname = ANY (${m}) AND c.relkind IN ('f', 'p', 'r')`,
    `SELECT p.pubname AS name, p.puballtables AS all,
            coalesce((SELECT array_agg(t.schemaname || '.' || t.tablename) FROM pg_catalog.pg_publication_tables t WHERE t.pubname = p.pubname), '{}') AS tables
       FROM pg_catalog.pg_publication p`,
    `SELECT name, setting FROM pg_catalog.pg_settings WHERE name = ANY (${arr(LOG_SETTINGS)})`,
    `SELECT coalesce(r.rolname, '') AS role, coalesce(d.datname, '') AS database, s.setconfig AS config
       FROM pg_catalog.pg_db_role_setting s LEFT JOIN pg_catalog.pg_roles r ON r.oid = s.setrole LEFT JOIN pg_catalog.pg_database d ON d.oid = s.setdatabase
      WHERE s.setdatabase IN (0, (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()))`,
    `SELECT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'pg_stat_statements') AS installed`,
    `SELECT count(*)::int AS n FROM pg_catalog.pg_stat_activity a JOIN pg_catalog.pg_stat_ssl s ON s.pid = a.pid
      WHERE a.usename = ${literal(config.link.role)} AND NOT s.ssl`,
    `SELECT t, pg_catalog.format_type(pg_catalog.to_regtype(t), NULL) AS normalised FROM unnest(${arr(types)}) t`,
    stalePreparedSql(preparedOlderThan),
    ...privileges,
  ];
  const r = await session.batch(statements);
  const at = <T>(i: number) => r[i] as T[];
  const settings: Record<string, string | null> = Object.fromEntries(LOG_SETTINGS.map((s) => [s, null]));
  for (const s of at<{ name: string; setting: string }>(14)) settings[s.name] = s.setting;
  return {
    major: at<{ major: number }>(0)[0]!.major,
    schemas: at<{ schema: string }>(1).map((s) => s.schema),
    relations: at(2),
    columns: at(3),
    constraints: at(4),
    foreignTables: at(5),
    servers: at(6),
    mappings: at(7),
    grants: at(8),
    functions: at(9),
    types: at(10),
    signatures: at(11),
    statistics: at(12),
    publications: at(13),
    settings,
    roleSettings: at(15),
    statStatements: at<{ installed: boolean }>(16)[0]!.installed,
    linkSessionsWithoutTls: at<{ n: number }>(17)[0]!.n,
    stalePrepared: at(19),
    normalisedTypes: Object.fromEntries(at<{ t: string; normalised: string | null }>(18).map((x) => [x.t, x.normalised])),
    ...parsePrivileges(r.slice(statements.length - privileges.length)),
  };
}
