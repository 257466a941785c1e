import type pg from 'pg';
import { runner } from 'node-pg-migrate';
import { ResidencyError } from '../errors.js';
import { MIGRATIONS_SCHEMA, MIGRATIONS_TABLE, recordChecksums } from './appliedMigrations.js';
import { migrationFailure } from './migrationFailure.js';
import type { RegionMigrations } from './regionMigrations.js';

/**
 * Applies (or reverts) the next `count` migrations of one region through
 * node-pg-migrate, in one transaction, under its advisory lock. Returns the
 * names it ran.
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
  try {
    ran = await runner({
      dbClient: client,
      dir: migrations.dir,
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
  }
  const names = ran.map((m) => m.name);
  const byName = new Map(migrations.files.map((f) => [f.name, f]));
  await recordChecksums(
    client,
    direction === 'up' ? names.map((name) => ({ name, sha256: byName.get(name)!.sha256 })) : [],
    direction === 'down' ? names : [],
  );
  return names;
}
