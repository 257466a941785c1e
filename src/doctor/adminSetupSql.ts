import type { Major } from '../config/types.js';
import { linkRoleLogSettings } from '../plan/linkRoleSettings.js';
import { ident, literal } from '../sql/quote.js';

/** The schema dblink must live in: the generated functions call `residency_dblink.dblink_*`. */
export const DBLINK_SCHEMA = 'residency_dblink';

/**
 * The pieces of the admin contract: what a superuser (or a cloud console's
 * admin role) runs once per region so that a migrator that is not a superuser
 * can run every pg-residency command. {@link adminSetupSql} puts them
 * together; doctor quotes the piece that fixes what it found missing.
 */
export const adminSql = {
  /** The migrator: logs in, creates the link role; never a superuser. */
  createMigrator: (migrator: string): string => `CREATE ROLE ${ident(migrator)} LOGIN CREATEROLE PASSWORD '...';`,
  createDatabase: (database: string, migrator: string): string => `CREATE DATABASE ${ident(database)} OWNER ${ident(migrator)};`,
  /** The migrator owns the database it migrates (it may then create schemas and trusted extensions). */
  databaseOwner: (database: string, migrator: string): string => `ALTER DATABASE ${ident(database)} OWNER TO ${ident(migrator)};`,
  createRole: (migrator: string): string => `ALTER ROLE ${ident(migrator)} CREATEROLE;`,
  postgresFdw: (): string => 'CREATE EXTENSION IF NOT EXISTS postgres_fdw;',
  fdwUsage: (migrator: string): string => `GRANT USAGE ON FOREIGN DATA WRAPPER postgres_fdw TO ${ident(migrator)};`,
  /** dblink in its own schema, usable by the migrator only (whoever may execute it could use a session's open link). */
  dblink: (): string[] => [
    `CREATE SCHEMA IF NOT EXISTS ${ident(DBLINK_SCHEMA)};`,
    `CREATE EXTENSION IF NOT EXISTS dblink SCHEMA ${ident(DBLINK_SCHEMA)};`,
  ],
  /** dblink created elsewhere (e.g. in public) moved where the generated functions call it. */
  moveDblink: (): string[] => [
    `CREATE SCHEMA IF NOT EXISTS ${ident(DBLINK_SCHEMA)};`,
    `ALTER EXTENSION dblink SET SCHEMA ${ident(DBLINK_SCHEMA)};`,
  ],
  dblinkNotPublic: (schema: string = DBLINK_SCHEMA): string[] => [
    `REVOKE ALL ON SCHEMA ${ident(schema)} FROM PUBLIC;`,
    `REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA ${ident(schema)} FROM PUBLIC;`,
  ],
  dblinkForMigrator: (migrator: string): string[] => [
    `GRANT USAGE ON SCHEMA ${ident(DBLINK_SCHEMA)} TO ${ident(migrator)};`,
    `GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA ${ident(DBLINK_SCHEMA)} TO ${ident(migrator)};`,
  ],
  extension: (name: string): string => `CREATE EXTENSION IF NOT EXISTS ${ident(name)};`,
  /** 15+: the log settings migrate gives the link role (and the functions' SET clauses) need SET privilege. */
  parameterGrants: (major: Major, migrator: string, names: readonly string[] = linkRoleLogSettings(major).map((s) => s.name)): string =>
    `GRANT SET ON PARAMETER ${names.join(', ')} TO ${ident(migrator)};`,
  /** 10-14: no SET privilege exists; an admin gives the link role its log settings once migrate has created it. */
  linkRoleSettings: (major: Major, linkRole: string): string[] =>
    linkRoleLogSettings(major).map((s) => `ALTER ROLE ${ident(linkRole)} SET ${s.name} = ${literal(s.value)};`),
  /** Two-phase writes prepare a part in every region they touch: each server needs slots (a restart applies it). */
  maxPreparedTransactions: (n: number): string => `ALTER SYSTEM SET max_prepared_transactions = ${Math.max(1, Math.trunc(n))};`,
} as const;

/** What {@link adminSetupSql} needs to know about one region. */
export interface AdminSetupInput {
  /** The server's major version (regions.yaml `postgres`). */
  readonly major: Major;
  /** The role migrate runs as (the user of the region's url). */
  readonly migrator: string;
  /** The region's database (the database of the region's url). */
  readonly database: string;
  /** Whether a default calls uuid_generate_v*: on 10-12 an admin creates uuid-ossp (13+ trusts it to the database owner). */
  readonly needsUuidOssp: boolean;
  /** The value suggested for max_prepared_transactions; default 100. */
  readonly maxPreparedTransactions?: number;
}

/** The admin's one-time setup of one region, by where each part runs. */
export interface AdminSetup {
  /** Connected to any database of the server, as the admin. */
  readonly cluster: readonly string[];
  /** Connected to the region's database, as the admin. */
  readonly database: readonly string[];
  /** The server's settings (ALTER SYSTEM; max_prepared_transactions takes a restart). */
  readonly server: readonly string[];
}

/**
 * THE ADMIN CONTRACT: everything a superuser or a cloud admin role (RDS
 * `rds_superuser`, Cloud SQL `cloudsqlsuperuser`, Azure `azure_pg_admin`)
 * runs once per region so that pg-residency never needs a superuser. The
 * migrator's password is left as `'...'`: choose one.
 * @example adminSetupSql({ major: 15, migrator: 'migrator', database: 'residency', needsUuidOssp: true }).database[0]
 * // 'CREATE EXTENSION IF NOT EXISTS postgres_fdw;'
 */
export function adminSetupSql(input: AdminSetupInput): AdminSetup {
  const { major, migrator, database } = input;
  return {
    cluster: [adminSql.createMigrator(migrator), adminSql.createDatabase(database, migrator)],
    database: [
      adminSql.postgresFdw(),
      adminSql.fdwUsage(migrator),
      ...adminSql.dblink(),
      ...adminSql.dblinkNotPublic(),
      ...adminSql.dblinkForMigrator(migrator),
      ...(input.needsUuidOssp && major < 13 ? [adminSql.extension('uuid-ossp')] : []),
      ...(major >= 15 ? [adminSql.parameterGrants(major, migrator)] : []),
    ],
    server: [adminSql.maxPreparedTransactions(input.maxPreparedTransactions ?? 100)],
  };
}
