/** The parsed, validated configuration. Downstream code sees only these types. */
import type { SqlExpr, SqlType } from './columnGrammar.js';

export type ConfiguredMode = 'auto' | 'native' | 'routing';
/** How a region's writes reach foreign partitions: see docs/design.md "Modes". */
export type Mode = 'native' | 'routing';

export const SUPPORTED_MAJORS = [10, 11, 12, 13, 14, 15, 16, 17, 18] as const;
export type Major = (typeof SUPPORTED_MAJORS)[number];

export interface Column {
  readonly name: string;
  /** A SQL type name, checked against a conservative grammar (only the validator brands one). */
  readonly type: SqlType;
  readonly notNull: boolean;
  /** A SQL expression, evaluated with search_path pg_catalog inside generated functions (only the validator brands one). */
  readonly default: SqlExpr | undefined;
  /**
   * regions.yaml `renamed_from`: the column's name before this step. The step
   * renames it (data kept) instead of dropping one column and adding another.
   * Ignored once the previous state has the new name already.
   */
  readonly renamedFrom?: string;
}

/** libpq's sslmode values, weakest first. */
export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

/**
 * How a region authenticates the link role: `cert` (a client certificate,
 * no password stored anywhere) or `password` (SCRAM).
 */
export type LinkAuth = 'cert' | 'password';

export interface FdwTarget {
  readonly host: string;
  readonly port: number;
  readonly dbname: string;
  /** The environment variable that holds this region's link-role password. */
  readonly passwordEnv: string;
  /** How the other regions' servers check this one: `verify-full` unless regions.yaml says otherwise. */
  readonly sslmode: SslMode;
  /** Whether regions.yaml wrote `sslmode` (a weaker mode is allowed only then). */
  readonly sslmodeExplicit: boolean;
  /** The CA certificate the other regions' servers check this one against, as a path on their machines. */
  readonly sslrootcert: string | undefined;
  /** A certificate revocation list, as a path on the other regions' machines. */
  readonly sslcrl: string | undefined;
  /**
   * How this region accepts the link role: `cert` when the link role has a
   * certificate (link.sslcert), this region is reached over TLS, and every
   * other region runs PostgreSQL 13+ (whose postgres_fdw can present one);
   * otherwise `password`.
   */
  readonly auth: LinkAuth;
}

/**
 * A connection pooler (PgBouncer in transaction mode) beside a region: that
 * region's links (dblink parts, postgres_fdw reads, the loopback) connect to
 * it, and it holds at most `poolSize` server connections to each region of
 * the fleet (itself included), each reached as a database named after the
 * region. See docs/own-databases.md, "A link pooler".
 */
export interface Pooler {
  /** Where this region's server reaches the pooler (usually the same machine). */
  readonly host: string;
  readonly port: number;
  /** Server connections the pooler keeps to each region at most (PgBouncer's pool_size). */
  readonly poolSize: number;
  /**
   * The writes this region coordinates at once at most (regions.yaml
   * `writes_in_flight`, default 2 x pool_size): a write call waits at the
   * region's gate (residency.gate) for a slot. `migrate` writes it into the
   * region's `residency.write_gate`; it bounds the prepared transactions
   * this region's writes hold in every region (docs/guides/sizing.md).
   */
  readonly writesInFlight: number;
  /** How this region's server checks the pooler's certificate; default the region's own fdw.sslmode. */
  readonly sslmode: SslMode;
  /** The CA the pooler's certificate is checked against; default the region's own fdw.sslrootcert. */
  readonly sslrootcert: string | undefined;
}

export interface Region {
  readonly name: string;
  /** How the CLI connects, environment variables already expanded. */
  readonly url: string;
  /** How the other regions reach this one through postgres_fdw. */
  readonly fdw: FdwTarget;
  readonly postgres: Major;
  readonly mode: Mode;
  /** The pooler this region's links go through; undefined: each link connects to its region directly. */
  readonly pooler?: Pooler | undefined;
}

export interface Entity {
  readonly name: string;
  readonly schema: string;
  readonly key: Column;
  readonly regionColumn: string;
  readonly mirrored: readonly Column[];
  readonly resident: readonly Column[];
}

export interface Config {
  readonly mode: ConfiguredMode;
  /** The role other regions log in as; it may touch only the mirror and the local leaves. */
  readonly link: {
    readonly role: string;
    readonly passwordEnv: string;
    /** The link role's client certificate and key, as paths on every region's machine; both or neither. */
    readonly sslcert: string | undefined;
    readonly sslkey: string | undefined;
  };
  readonly timeouts: { readonly lockTimeout: string; readonly statementTimeout: string };
  readonly fdwOptions: { readonly fetchSize: number; readonly batchSize: number };
  readonly extensions: readonly string[];
  /**
   * Roles granted the API, as members of `appGroup` (they must exist):
   * pg-residency grants nothing to them directly.
   */
  readonly appRoles: readonly string[];
  /**
   * The group role (NOLOGIN) pg-residency creates in each region's cluster
   * and grants every EXECUTE, SELECT and USAGE the application needs on the
   * generated objects; each of `appRoles` is made a member of it.
   */
  readonly appGroup: string;
  readonly regions: readonly Region[];
  readonly entities: readonly Entity[];
}
