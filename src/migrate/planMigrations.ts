import { ResidencyError } from '../errors.js';
import { PHASES, type Phase } from '../format/migrationFile.js';
import type { Applied } from './appliedMigrations.js';
import type { MigrationFile, RegionMigrations } from './regionMigrations.js';

/** What `migrate up|down` was asked to do in each region. */
export interface QueueOptions {
  readonly direction: 'up' | 'down';
  /** With down: how many migrations to revert (default: all that are applied). */
  readonly count?: number;
  /** With down: revert the files of the last this many steps of the history (state.json) that have an applied file. */
  readonly steps?: number;
}

/**
 * Refuses a database whose applied migrations do not match the files: one it
 * applied that is not in the folder, or one whose checksum changed since it ran.
 * @throws ResidencyError CHECKSUM
 */
export function checkApplied(migrations: RegionMigrations, applied: readonly Applied[]): void {
  const files = new Map(migrations.files.map((f) => [f.name, f]));
  for (const a of applied) {
    const file = files.get(a.name);
    if (file === undefined) {
      throw new ResidencyError(
        'CHECKSUM',
        `region "${migrations.region}": the database applied ${a.name}, which is not in ${migrations.dir}/; restore the file from version control, or revert it with the files it was applied from`,
      );
    }
    if (a.sha256 !== undefined && a.sha256 !== file.sha256) {
      throw new ResidencyError(
        'CHECKSUM',
        `region "${migrations.region}": ${file.file} was applied, then changed (its checksum differs from the one recorded when it ran). Applied migrations are never rewritten: restore the file from version control and put the change in a new migration.`,
      );
    }
  }
}

/**
 * The migrations one region runs, in the order they run: for up, every file
 * not applied; for down, the applied ones, last first, limited to the last
 * `steps` steps of the history and to `count` files. Pure.
 * @throws ResidencyError CHECKSUM for an unknown or edited applied file (see checkApplied),
 *   MIGRATION when a file not applied sorts before one that is (the folder is out of order with the database)
 * @example regionQueue(migrations, [{ name: '0001_extensions', sha256 }], { direction: 'up' }) // every file after 0001
 */
export function regionQueue(migrations: RegionMigrations, applied: readonly Applied[], options: QueueOptions): MigrationFile[] {
  checkApplied(migrations, applied);
  const appliedNames = new Set(applied.map((a) => a.name));
  let lastApplied = migrations.files.length - 1;
  while (lastApplied >= 0 && !appliedNames.has(migrations.files[lastApplied]!.name)) lastApplied -= 1;
  const gap = migrations.files.findIndex((f, i) => i < lastApplied && !appliedNames.has(f.name));
  if (gap >= 0) {
    throw new ResidencyError(
      'MIGRATION',
      `region "${migrations.region}": ${migrations.files[gap]!.file} is not applied, but ${migrations.files[lastApplied]!.file} after it is: the files in ${migrations.dir}/ are out of order with what this database applied. Restore the folder from version control; generated files are only ever appended.`,
    );
  }
  if (options.direction === 'up') return migrations.files.filter((f) => !appliedNames.has(f.name));
  if (options.count !== undefined && (!Number.isSafeInteger(options.count) || options.count < 1))
    throw new ResidencyError('CONFIG', `--count must be a whole number from 1, got ${options.count}`);
  if (options.steps !== undefined && (!Number.isSafeInteger(options.steps) || options.steps < 1))
    throw new ResidencyError('CONFIG', `--steps must be a whole number from 1, got ${options.steps}`);
  let wanted = (f: MigrationFile) => appliedNames.has(f.name);
  if (options.steps !== undefined) {
    const withApplied = migrations.steps.filter((s) => s.files.some((f) => appliedNames.has(f)));
    const last = new Set(withApplied.slice(Math.max(0, withApplied.length - options.steps)).flatMap((s) => s.files));
    wanted = (f) => appliedNames.has(f.name) && last.has(f.name);
  }
  return migrations.files
    .filter(wanted)
    .reverse()
    .slice(0, options.count ?? Infinity);
}

/** One region's run of one phase's migrations, in one transaction. */
export interface WaveStep {
  readonly region: string;
  readonly phase: Phase;
  readonly files: readonly MigrationFile[];
}

/** The regions that run a phase, one after the other. */
export interface Wave {
  readonly phase: Phase;
  readonly steps: readonly WaveStep[];
}

/**
 * The order a fleet runs its regions' queues in: waves of each region's
 * leading `local` migrations, then of the leading `remote` ones, then
 * `backfill` (the reverse for down), again until every queue is empty. So
 * every region's tables exist before any region's foreign tables read them,
 * and a region's foreign tables go before any region's tables on the way
 * down. Pure; migrateFleet runs the waves in order and stops at the first failure.
 * @example planWaves([{ region: 'usa', queue }, { region: 'gbr', queue }], 'up') // [{ phase: 'local', steps: [usa, gbr] }, { phase: 'remote', ... }]
 */
export function planWaves(
  queues: readonly { readonly region: string; readonly queue: readonly MigrationFile[] }[],
  direction: 'up' | 'down',
): Wave[] {
  const order = direction === 'up' ? PHASES : [...PHASES].reverse();
  const rest = queues.map((q) => ({ region: q.region, queue: q.queue }));
  const waves: Wave[] = [];
  for (;;) {
    let ran = false;
    for (const phase of order) {
      const steps: WaveStep[] = [];
      for (const r of rest) {
        let n = 0;
        while (n < r.queue.length && r.queue[n]!.phase === phase) n += 1;
        if (n === 0) continue;
        steps.push({ region: r.region, phase, files: r.queue.slice(0, n) });
        r.queue = r.queue.slice(n);
      }
      if (steps.length === 0) continue;
      waves.push({ phase, steps });
      ran = true;
    }
    if (!ran) return waves;
  }
}
