/**
 * What doctor reads from one region's server, as named fields: the rules
 * (src/doctor/rules/) read only this, so each is tested on a fabricated one.
 */
export interface DoctorSnapshot {
  /** The server's major version (server_version_num / 10000). */
  readonly major: number;
  /** server_version, e.g. `15.4 (Debian 15.4-1)`. */
  readonly version: string;
  /** Whether the CLI's own connection is TLS (pg_stat_ssl), and which protocol. */
  readonly ssl: boolean;
  readonly sslVersion: string | null;
  /** The role the CLI connected as: the migrator. */
  readonly user: string;
  readonly database: string;
  readonly superuser: boolean;
  readonly createrole: boolean;
  readonly databaseOwner: string;
  /** The migrator is (a member of) the database's owner. */
  readonly ownsDatabase: boolean;
  /** The migrator may create schemas in the database (CREATE on it). */
  readonly createOnDatabase: boolean;
  /** Extensions created in the database, with their schema. */
  readonly extensions: readonly { readonly name: string; readonly schema: string }[];
  /**
   * Extensions the server can create (pg_available_extensions), of those
   * pg-residency uses; `trusted` is 13+. Null when the server could not list
   * them (a control file it cannot parse fails the whole view).
   */
  readonly available: readonly { readonly name: string; readonly trusted: boolean }[] | null;
  /** USAGE on the foreign-data wrapper postgres_fdw; null when it does not exist. */
  readonly fdwUsage: boolean | null;
  /** dblink's schema: the migrator's USAGE on it, and whether PUBLIC has USAGE; null when dblink is not created. */
  readonly dblinkSchema: { readonly name: string; readonly usage: boolean; readonly publicUsage: boolean } | null;
  /** dblink's functions: whether the migrator and PUBLIC may execute each. */
  readonly dblinkFunctions: readonly { readonly signature: string; readonly execute: boolean; readonly publicExecute: boolean }[];
  /** 15+: the migrator's SET privilege on each log setting migrate applies; empty before 15. */
  readonly parameterPrivileges: readonly { readonly name: string; readonly granted: boolean }[];
  /**
   * Server settings by name (pg_settings); a log setting is given only when
   * its value is the server's own (not a database's or the migrator's).
   */
  readonly settings: Readonly<Record<string, string>>;
  /** Per-role and per-database settings for this database (pg_db_role_setting); role `''` is every role. */
  readonly roleSettings: readonly { readonly role: string; readonly database: string; readonly config: readonly string[] }[];
  /** Whether the link role exists. */
  readonly linkRoleExists: boolean;
  /** postgres_fdw servers (other regions, once migrated), with their options. */
  readonly servers: readonly { readonly name: string; readonly options: Readonly<Record<string, string>> }[];
  /**
   * Each other region's link tried through its server as it is (dblink, as
   * the migrator): ok, or libpq's reason. Absent when not tried (the region
   * not migrated, dblink not usable here).
   */
  readonly linkProbes: readonly { readonly server: string; readonly ok: boolean; readonly error?: string }[];
  /**
   * The region's link pooler (regions.yaml `pooler:`) as its console
   * (`SHOW DATABASES`) answers the link role; absent when the region has none.
   */
  readonly pooler?: PoolerProbe;
  /**
   * The region's bound on writes in flight as `migrate up` last wrote it
   * (`residency.write_gate`): its slots, or null for no row (no gate);
   * undefined where the table is not there (not migrated, or a runtime from
   * before the gate) or the role may not read it.
   */
  readonly writeGate?: number | null;
  /** Files named in regions.yaml looked up on this server (superusers only): path as given, whether it exists (null: not known). */
  readonly files: readonly { readonly path: string; readonly exists: boolean | null }[];
}

/** What doctor read from a region's link pooler (PgBouncer's console). */
export interface PoolerProbe {
  /** Whether the console answered; `error` says why not. */
  readonly reachable: boolean;
  readonly error?: string;
  /** Each database the pooler serves: its pool mode (the pooler's default when the database sets none) and pool size. */
  readonly databases: readonly { readonly name: string; readonly poolMode: string; readonly poolSize: number }[];
}
