import type pg from 'pg';
import { ResidencyError } from '../errors.js';
import { literal, qualified } from '../sql/quote.js';

export const MIGRATIONS_SCHEMA = 'public';
export const MIGRATIONS_TABLE = 'pg_residency_migrations';
/** The checksum of each file when it was applied, to refuse an edited applied file. */
export const CHECKSUMS_TABLE = 'pg_residency_checksums';

export interface Applied {
  readonly name: string;
  /** undefined when the file was applied but its checksum was never recorded. */
  readonly sha256: string | undefined;
}

async function tableExists(client: pg.Client, table: string): Promise<boolean> {
  const { rows } = await client.query('SELECT to_regclass($1) IS NOT NULL AS present', [qualified(MIGRATIONS_SCHEMA, table)]);
  return rows[0]?.present === true;
}

/** Migrations node-pg-migrate has recorded in this region, in the order they ran. */
export async function appliedMigrations(client: pg.Client): Promise<Applied[]> {
  if (!(await tableExists(client, MIGRATIONS_TABLE))) return [];
  const withSums = await tableExists(client, CHECKSUMS_TABLE);
  const { rows } = await client.query<{ name: string; sha256: string | null }>(
    withSums
      ? `SELECT m.name, c.sha256 FROM ${qualified(MIGRATIONS_SCHEMA, MIGRATIONS_TABLE)} m
         LEFT JOIN ${qualified(MIGRATIONS_SCHEMA, CHECKSUMS_TABLE)} c ON c.name = m.name ORDER BY m.run_on, m.id`
      : `SELECT m.name, NULL AS sha256 FROM ${qualified(MIGRATIONS_SCHEMA, MIGRATIONS_TABLE)} m ORDER BY m.run_on, m.id`,
  );
  return rows.map((r) => ({ name: r.name, sha256: r.sha256 ?? undefined }));
}

/** Creates the checksum table when missing; run before the migrations that write to it. */
export async function ensureChecksumsTable(client: pg.Client, region: string): Promise<void> {
  // CREATE ... IF NOT EXISTS needs CREATE on the schema even when the table exists
  if ((await tableExists(client, CHECKSUMS_TABLE)) && (await tableExists(client, MIGRATIONS_TABLE))) return;
  const { rows } = await client.query<{ may: boolean; role: string; roleSql: string; database: string }>(
    `SELECT has_schema_privilege($1, 'CREATE') AS may, current_user AS role, quote_ident(current_user) AS "roleSql", current_database() AS database`,
    [MIGRATIONS_SCHEMA],
  );
  const me = rows[0]!;
  if (!me.may) {
    throw new ResidencyError(
      'MIGRATION',
      `region "${region}": the role "${me.role}" may not create pg-residency's bookkeeping tables in schema ${MIGRATIONS_SCHEMA} (it needs CREATE there; on PostgreSQL 15+ the database's owner has it); as an admin, connected to database "${me.database}", run: GRANT CREATE ON SCHEMA ${MIGRATIONS_SCHEMA} TO ${me.roleSql}; then run migrate again (docs/own-databases.md)`,
    );
  }
  if (await tableExists(client, CHECKSUMS_TABLE)) return;
  await client.query(
    `CREATE TABLE IF NOT EXISTS ${qualified(MIGRATIONS_SCHEMA, CHECKSUMS_TABLE)} (name text PRIMARY KEY, sha256 text NOT NULL, recorded_at timestamptz NOT NULL DEFAULT now())`,
  );
}

/**
 * The statements that record (up) or forget (down) one file's checksum, to
 * run in the migration's own transaction: a crash can never leave a migration
 * applied without its checksum, nor a checksum without its migration.
 */
export function checksumStatements(name: string, sha256: string): { up: string; down: string } {
  const table = qualified(MIGRATIONS_SCHEMA, CHECKSUMS_TABLE);
  return {
    up: `INSERT INTO ${table} (name, sha256) VALUES (${literal(name)}, ${literal(sha256)}) ON CONFLICT (name) DO UPDATE SET sha256 = EXCLUDED.sha256, recorded_at = now();`,
    down: `DELETE FROM ${table} WHERE name = ${literal(name)};`,
  };
}
