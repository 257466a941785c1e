import type pg from 'pg';
import { runner } from 'node-pg-migrate';
import { ResidencyError } from '../errors.js';
import { literal } from '../sql/quote.js';
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
  options: { readonly names: readonly string[]; readonly prepare?: string },
): Promise<string[]> {
  if (count <= 0) return [];
  // node-pg-migrate ends its one transaction with COMMIT: the checksums of the
  // files it ran are recorded just before, in the same transaction, and with
  // `prepare` the transaction is prepared instead (two-phase commit across
  // regions, see migrateFleet).
  const byName = new Map(migrations.files.map((f) => [f.name, f]));
  const { names } = options;
  const onCommit = async () => {
    await recordChecksums(
      client,
      direction === 'up' ? names.map((name) => ({ name, sha256: byName.get(name)!.sha256 })) : [],
      direction === 'down' ? names : [],
    );
    return client.query(options.prepare === undefined ? 'COMMIT' : `PREPARE TRANSACTION ${literal(options.prepare)}`);
  };
  const dbClient = new Proxy(client, {
    get(target, property, receiver) {
      if (property === 'query')
        return (text: unknown, ...rest: unknown[]) =>
          text === 'COMMIT' ? onCommit() : (target.query as (...a: unknown[]) => unknown)(text, ...rest);
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  let current: string | undefined;
  const log = (message: string) => {
    const match = /^### MIGRATION (.+) \((UP|DOWN)\) ###$/.exec(message);
    if (match) current = match[1];
  };
  let ran: { name: string }[];
  try {
    ran = await runner({
      dbClient,
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
  const ran2 = ran.map((m) => m.name);
  if (ran2.join() !== names.join())
    throw new ResidencyError(
      'MIGRATION',
      `region "${migrations.region}": node-pg-migrate ran ${ran2.join(', ')} instead of ${names.join(', ')}`,
    );
  return ran2;
}
