import type { Config } from '../config/types.js';
import { literal } from '../sql/quote.js';

/** Where a right comes from: the role's own grant, PUBLIC's, or owning the object. */
interface Source {
  /** PUBLIC holds it too (revoking it from the link role alone does not take it away). */
  readonly public: boolean;
  /** The link role owns the object (an owner holds every right). */
  readonly owner: boolean;
}

/**
 * What the link role may do in one region, as PostgreSQL decides it
 * (`has_*_privilege`: its own grants, PUBLIC's, ownership), on the managed
 * schemas and what is in them. Empty lists when the role does not exist.
 */
export interface LinkRights {
  readonly exists: boolean;
  /** One row per right held on a table, view, foreign table or sequence; `column` when held on some columns only. */
  readonly relations: readonly (Source & { schema: string; name: string; kind: string; privilege: string; column: boolean })[];
  /** The functions it may EXECUTE (extension members aside: dblink is RV215's). */
  readonly functions: readonly (Source & { schema: string; name: string; args: string })[];
  /** USAGE and CREATE on the managed schemas, and CREATE on `public`. */
  readonly schemas: readonly (Source & { schema: string; privilege: string })[];
  /** Roles it is a member of: NOINHERIT or not, it may SET ROLE to them. */
  readonly memberOf: readonly string[];
}

/** Where dblink is installed, and who besides its owner may execute its functions. */
export interface DblinkExposure {
  /** dblink's schema, or null when it is not installed. */
  readonly schema: string | null;
  /** `PUBLIC`, the link role, the app group or an app role, with how many of dblink's functions it may execute. */
  readonly executable: readonly { grantee: string; functions: number }[];
}

/** The rows `privilegeStatements` reads, parsed. */
export interface PrivilegeSnapshot {
  readonly linkRights: LinkRights;
  readonly dblink: DblinkExposure;
  /** 0 fails every write (they are two-phase); a restart setting. */
  readonly maxPreparedTransactions: number;
  readonly maxConnections: number;
  /** Each role of app_roles: whether it exists, and whether it is a member of the app group (which exists or not). */
  readonly appMembers?: readonly { role: string; exists: boolean; member: boolean; group: boolean }[];
}

const arr = (values: readonly string[]) => `ARRAY[${values.map((v) => literal(v)).join(', ')}]::text[]`;

const TABLE_RIGHTS = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'];
const COLUMN_RIGHTS = ['SELECT', 'INSERT', 'UPDATE', 'REFERENCES'];

/** The catalog queries behind a PrivilegeSnapshot, in the order `parsePrivileges` reads their results. No row data. */
export function privilegeStatements(config: Config, managed: readonly string[]): string[] {
  const link = literal(config.link.role);
  const m = arr(managed);
  const publicHolds = (acl: string, privilege: string) =>
    `EXISTS (SELECT FROM pg_catalog.aclexplode(${acl}) a WHERE a.grantee = 0 AND a.privilege_type = ${privilege})`;
  const roles = arr([config.link.role, config.appGroup, ...config.appRoles]);
  return [
    `SELECT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = ${link}) AS exists`,
    `SELECT n.nspname AS schema, c.relname AS name, c.relkind::text AS kind, p.privilege, c.relowner = lr.oid AS owner,
            ${publicHolds('c.relacl', 'p.privilege')} AS public, NOT pg_catalog.has_table_privilege(lr.oid, c.oid, p.privilege) AS column
       FROM pg_catalog.pg_roles lr, pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace, unnest(${arr(TABLE_RIGHTS)}) p(privilege)
      WHERE lr.rolname = ${link} AND n.nspname = ANY (${m}) AND c.relkind IN ('r', 'p', 'f', 'v', 'm')
        AND (pg_catalog.has_table_privilege(lr.oid, c.oid, p.privilege)
          OR (p.privilege = ANY (${arr(COLUMN_RIGHTS)}) AND pg_catalog.has_any_column_privilege(lr.oid, c.oid, p.privilege)))
     UNION ALL
     SELECT n.nspname, c.relname, c.relkind::text, p.privilege, c.relowner = lr.oid, ${publicHolds('c.relacl', 'p.privilege')}, false
       FROM pg_catalog.pg_roles lr, pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace, unnest(${arr(['USAGE', 'SELECT', 'UPDATE'])}) p(privilege)
      WHERE lr.rolname = ${link} AND n.nspname = ANY (${m}) AND c.relkind = 'S' AND pg_catalog.has_sequence_privilege(lr.oid, c.oid, p.privilege)`,
    `SELECT n.nspname AS schema, p.proname AS name, pg_catalog.pg_get_function_identity_arguments(p.oid) AS args, p.proowner = lr.oid AS owner,
            (p.proacl IS NULL OR ${publicHolds('p.proacl', "'EXECUTE'")}) AS public
       FROM pg_catalog.pg_roles lr, pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
      WHERE lr.rolname = ${link} AND n.nspname = ANY (${m}) AND pg_catalog.has_function_privilege(lr.oid, p.oid, 'EXECUTE')
        AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')`,
    `SELECT n.nspname AS schema, p.privilege, n.nspowner = lr.oid AS owner, ${publicHolds('n.nspacl', 'p.privilege')} AS public
       FROM pg_catalog.pg_roles lr, pg_catalog.pg_namespace n, unnest(${arr(['USAGE', 'CREATE'])}) p(privilege)
      WHERE lr.rolname = ${link} AND (n.nspname = ANY (${m}) OR (n.nspname = 'public' AND p.privilege = 'CREATE'))
        AND pg_catalog.has_schema_privilege(lr.oid, n.oid, p.privilege)`,
    `SELECT r.rolname AS role FROM pg_catalog.pg_roles lr JOIN pg_catalog.pg_auth_members am ON am.member = lr.oid
       JOIN pg_catalog.pg_roles r ON r.oid = am.roleid WHERE lr.rolname = ${link} ORDER BY 1`,
    `SELECT n.nspname AS schema FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'dblink'`,
    `SELECT g.grantee, count(*)::int AS functions
       FROM pg_catalog.pg_extension e
       JOIN pg_catalog.pg_depend d ON d.refclassid = 'pg_extension'::regclass AND d.refobjid = e.oid AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
       JOIN pg_catalog.pg_proc p ON p.oid = d.objid,
       LATERAL (SELECT 'PUBLIC'::text AS grantee WHERE p.proacl IS NULL OR ${publicHolds('p.proacl', "'EXECUTE'")}
                UNION ALL SELECT r.rolname::text FROM pg_catalog.pg_roles r
                 WHERE r.rolname = ANY (${roles}) AND pg_catalog.has_function_privilege(r.oid, p.oid, 'EXECUTE')) g
      WHERE e.extname = 'dblink' GROUP BY g.grantee ORDER BY 1`,
    `SELECT current_setting('max_prepared_transactions')::int AS prepared, current_setting('max_connections')::int AS connections`,
    `SELECT a.role, r.oid IS NOT NULL AS exists, g.oid IS NOT NULL AS group,
            COALESCE(r.oid IS NOT NULL AND g.oid IS NOT NULL AND pg_catalog.pg_has_role(r.oid, g.oid, 'USAGE'), false) AS member
       FROM unnest(${arr(config.appRoles)}) a(role) LEFT JOIN pg_catalog.pg_roles r ON r.rolname = a.role
       LEFT JOIN pg_catalog.pg_roles g ON g.rolname = ${literal(config.appGroup)} ORDER BY 1`,
  ];
}

/** Reads the results of `privilegeStatements`, in order. */
export function parsePrivileges(rows: readonly (readonly Record<string, unknown>[])[]): PrivilegeSnapshot {
  const at = <T>(i: number) => (rows[i] ?? []) as T[];
  const settings = at<{ prepared: number; connections: number }>(7)[0]!;
  return {
    linkRights: {
      exists: at<{ exists: boolean }>(0)[0]?.exists === true,
      relations: at(1),
      functions: at(2),
      schemas: at(3),
      memberOf: at<{ role: string }>(4).map((r) => r.role),
    },
    dblink: { schema: at<{ schema: string }>(5)[0]?.schema ?? null, executable: at(6) },
    maxPreparedTransactions: settings.prepared,
    maxConnections: settings.connections,
    appMembers: at(8),
  };
}
