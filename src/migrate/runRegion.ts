import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { runner } from 'node-pg-migrate';
import { ResidencyError } from '../errors.js';
import { checksumStatements, ensureChecksumsTable, MIGRATIONS_SCHEMA, MIGRATIONS_TABLE } from './appliedMigrations.js';
import { migrationFailure } from './migrationFailure.js';
import type { MigrationFile, RegionMigrations } from './regionMigrations.js';

/**
 * A file as node-pg-migrate is given it: the up section ends by recording the
 * file's checksum, the down section by forgetting it, so both commit (or roll
 * back) with the migration itself. Appended at the end of each section, they
 * leave the positions PostgreSQL reports in the file's own SQL unchanged.
 */
export function withChecksum(file: MigrationFile): string {
  const { up, down } = checksumStatements(file.name, file.sha256);
  const downStart = file.content.search(/^\s*--[\s-]*down\s+migration/im);
  if (downStart < 0) return `${file.content}\n${up}\n`;
  return `${file.content.slice(0, downStart)}\n${up}\n${file.content.slice(downStart)}\n${down}\n`;
}

/**
 * Applies (or reverts) the next `count` migrations of one region through
 * node-pg-migrate, in one transaction, under its advisory lock; each file's
 * checksum is recorded in that transaction. Returns the names it ran, all of
 * them committed.
 */
export async function runRegion(
  client: pg.Client,
  migrations: RegionMigrations,
  direction: 'up' | 'down',
  count: number,
): Promise<string[]> {
  if (count <= 0) return [];
  let current: string | undefined;
  const log = (message: string) => {
    const match = /^### MIGRATION (.+) \((UP|DOWN)\) ###$/.exec(message);
    if (match) current = match[1];
  };
  let ran: { name: string }[];
  await ensureChecksumsTable(client, migrations.region);
  const dir = await mkdtemp(join(tmpdir(), 'rsd-run-'));
  try {
    for (const file of migrations.files) await writeFile(join(dir, file.file), withChecksum(file));
    ran = await runner({
      dbClient: client,
      dir,
      // residency.sum and state.json sit beside the migrations
      ignorePattern: '(?!.*\\.sql$).*',
      migrationsSchema: MIGRATIONS_SCHEMA,
      migrationsTable: MIGRATIONS_TABLE,
      direction,
      count,
      checkOrder: true,
      singleTransaction: true,
      advisoryLockMode: 'fail',
      logger: { debug: log, info: log, warn: log, error: log },
    });
  } catch (error) {
    const message = (error as Error).message ?? '';
    if (message.startsWith('Another migration is already running')) {
      throw new ResidencyError(
        'MIGRATION',
        `region "${migrations.region}": another migrate is running on this database (its advisory lock is held); nothing was applied by this run. Wait for it to finish, then run migrate ${direction} again.`,
        { cause: error },
      );
    }
    if (message.startsWith('Not run migration')) {
      throw new ResidencyError(
        'MIGRATION',
        `region "${migrations.region}": ${message}; the files in ${migrations.dir} are out of order with what this database applied`,
        { cause: error },
      );
    }
    throw migrationFailure(
      migrations.region,
      direction,
      migrations.files.find((f) => f.name === current),
      error,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return ran.map((m) => m.name);
}
