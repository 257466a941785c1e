import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import type { Env } from '../config/expandEnv.js';
import type { Config, Region } from '../config/types.js';
import { preparedBudget, writeGates } from '../doctor/preparedBudget.js';
import { droppedData } from './droppedData.js';
import { takeFleetLock } from './fleetLock.js';
import { ResidencyError, unknownRegion } from '../errors.js';
import type { Phase } from '../format/migrationFile.js';
import { readAdminTodo, type AdminTodo } from './adminTodo.js';
import { appliedMigrations } from './appliedMigrations.js';
import { connectRegion, regionError } from './connect.js';
import { checkRegionLinks, linkCheckError } from './linkCheck.js';
import { applyLinkSecrets, linkSecrets, type LinkAuthUsed, type LinkSecrets } from './linkSecrets.js';
import { linkWarnings } from '../config/linkWarnings.js';
import { readRegionMigrations, type MigrationFile, type RegionMigrations } from './regionMigrations.js';
import { migrationSection } from '../format/migrationSection.js';
import { runRegion } from './runRegion.js';
import { remoteWaitMessage, remoteWaits, renameWaitMessage, renameWaits, type RegionProgress } from './rolloutOrder.js';
import { planWaves, regionQueue, type Wave } from './planMigrations.js';
import { bindServers, prepareBindings } from './serverBinding.js';
import { bindWriteGate } from './writeGate.js';

export type Direction = 'up' | 'down';

export interface MigrateInput {
  readonly config: Config;
  /** Region names to migrate; empty with `all`. */
  readonly regions: readonly string[];
  readonly all: boolean;
  readonly direction: Direction;
  /** Folder of the generated migrations. */
  readonly dir: string;
  readonly env: Env;
  readonly dryRun: boolean;
  /** With down: how many migrations to revert per region (default: all). */
  readonly count?: number;
  /** With down: revert the files of the last this many applied steps of each region's history (state.json). */
  readonly steps?: number;
  /** With down: revert files whose down drops a table or a table's column (and so its rows or values); refused otherwise. */
  readonly allowDestructive?: boolean;
  /** Progress: called after each region's step (its next run of local or remote migrations) has run. */
  readonly onStep?: (step: MigrateStep) => void;
}

/** One region's run of migrations of one phase, in one transaction. */
export interface MigrateStep {
  readonly region: string;
  readonly phase: Phase;
  readonly migrations: readonly string[];
  readonly elapsedMs: number;
}

export interface RegionMigrateResult {
  readonly region: string;
  readonly status: 'applied' | 'reverted' | 'nothing-to-do' | 'dry-run' | 'failed' | 'skipped';
  /** Migrations run (or, with dry-run, that would run), in order. */
  readonly migrations: readonly string[];
  /** With dry-run: the SQL that would run. */
  readonly sql?: string;
  readonly error?: ResidencyError;
  /** After `up`: how this region's links log in to each other region, by certificate or password. */
  readonly links?: readonly LinkAuthUsed[];
  /** What regions.yaml weakened for this region (see linkWarnings), for the CLI to print. */
  readonly warnings: readonly string[];
  /** After `up`: what the migrating role may not do here, with the SQL an admin runs (see docs/own-databases.md). */
  readonly adminTodo?: readonly AdminTodo[];
}

/** The regions a command names, in regions.yaml order. */
export function selectRegions(config: Config, names: readonly string[], all: boolean): Region[] {
  const known = config.regions.map((r) => r.name);
  if (all) return [...config.regions];
  if (names.length === 0)
    throw new ResidencyError(
      'CONFIG',
      `name the regions with --region NAME (one of ${known.map((k) => `"${k}"`).join(', ')}) or pass --all`,
    );
  for (const name of names) if (!known.includes(name)) throw unknownRegion(name, known);
  return config.regions.filter((r) => names.includes(r.name));
}

interface Target {
  readonly region: Region;
  readonly migrations: RegionMigrations;
  readonly secrets: LinkSecrets | undefined;
  client?: pg.Client;
  /** What has to run, in the order it runs (regionQueue). */
  queue: MigrationFile[];
  done: string[];
  links?: LinkAuthUsed[];
  adminTodo?: AdminTodo[];
}

/**
 * Runs the planned waves in order (see planWaves), each region of a wave in
 * turn, one transaction per region and wave. Stops at the first failure.
 */
async function runWaves(
  targets: ReadonlyMap<string, Target>,
  waves: readonly Wave[],
  direction: Direction,
  fail: (target: Target, error: unknown) => void,
  beforeBackfill: (target: Target) => Promise<void>,
  onStep: MigrateInput['onStep'],
): Promise<void> {
  for (const wave of waves) {
    for (const step of wave.steps) {
      const target = targets.get(step.region)!;
      try {
        const started = performance.now();
        if (step.phase === 'backfill' && direction === 'up') await beforeBackfill(target);
        const ran = await runRegion(target.client!, target.migrations, direction, step.files.length);
        onStep?.({ region: step.region, phase: step.phase, migrations: ran, elapsedMs: performance.now() - started });
      } catch (error) {
        fail(target, error);
        return;
      }
      target.done.push(...step.files.map((f) => f.name));
    }
  }
}

/**
 * Writes are two-phase transactions across regions: a region whose server
 * allows no prepared transaction would fail every write. Refused before any
 * migration runs.
 */
async function requirePreparedTransactions(client: pg.Client, region: Region): Promise<PreparedSettings> {
  const { rows } = await client.query<{ slots: string; connections: string }>(
    "SELECT current_setting('max_prepared_transactions') AS slots, current_setting('max_connections') AS connections",
  );
  const settings = { slots: Number(rows[0]?.slots), connections: Number(rows[0]?.connections) };
  if (settings.slots > 0) return settings;
  throw new ResidencyError(
    'MIGRATION',
    `region "${region.name}": max_prepared_transactions is 0, and pg-residency writes across regions with two-phase commit (PREPARE TRANSACTION). Set max_prepared_transactions in its postgresql.conf (one slot per write the fleet may have in flight at once, this region's own included: the sum of the regions' writes_in_flight, or max_connections for a region without a pooler, docs/guides/sizing.md) and restart the server, then run migrate again`,
  );
}

/** A region's max_prepared_transactions and max_connections, as migrate read them. */
interface PreparedSettings {
  readonly slots: number;
  readonly connections: number;
}

/**
 * The prepared-transaction budget (issue 20): a warning when a region allows
 * fewer prepared transactions than the writes the fleet's regions, its own
 * included, may have in flight at once (each region's gate,
 * pooler.writes_in_flight, else its max_connections read by this run; a
 * region outside the run is assumed to allow as many as the checked one).
 */
function preparedBudgetWarning(config: Config, region: string, read: ReadonlyMap<string, PreparedSettings>): string | undefined {
  const own = read.get(region);
  if (own === undefined) return undefined;
  const budget = preparedBudget({
    region,
    regions: config.regions.map((r) => r.name),
    writers: Object.fromEntries([...read].map(([name, s]) => [name, s.connections])),
    gates: writeGates(config),
    assumed: own.connections,
  });
  if (own.slots >= budget.needed) return undefined;
  const assumed = budget.assumed.length === 0 ? '' : `; ${budget.assumed.join(', ')} not read by this run: assumed like this one`;
  return `region "${region}": max_prepared_transactions is ${own.slots}, but the fleet's regions (this one included) may have ${budget.needed} writes in flight at once (max_connections or writes_in_flight: ${budget.shares.join(', ')}${assumed}), each holding a part prepared here: under that load writes fail with RS013 ("full"). Raise it to ${budget.needed} (a restart setting) or bound each region's writes in flight (a pooler's writes_in_flight in regions.yaml, docs/guides/sizing.md)`;
}

/**
 * A down that would drop a table or a column of one (rows and values with
 * them) runs only with allowDestructive, as generating a step that drops
 * them does; refused before any region is touched.
 */
async function refuseDroppedData(region: Region, queue: readonly MigrationFile[]): Promise<void> {
  const dropped: string[] = [];
  for (const file of queue) for (const what of await droppedData(file.content)) dropped.push(`${file.file} drops ${what}`);
  if (dropped.length === 0) return;
  const shown = dropped.slice(0, 3).join('; ');
  throw new ResidencyError(
    'MIGRATION',
    `region "${region.name}": migrate down would destroy data: ${shown}${dropped.length > 3 ? ` (and ${dropped.length - 3} more)` : ''}. Nothing was reverted. Pass --allow-destructive to revert it, or revert fewer migrations (--steps N, --count N)`,
  );
}

/** What a region outside the run has applied: read from its database (unreadable: the reason). */
async function progressOf(region: Region, input: MigrateInput): Promise<RegionProgress> {
  let migrations: RegionMigrations;
  try {
    migrations = await readRegionMigrations(input.dir, region.name);
  } catch {
    // its folder is checked when it is migrated; a region without history holds no step to wait for
    return { region: region.name, migrations: { region: region.name, dir: input.dir, files: [], steps: [] }, applied: new Set() };
  }
  let client: pg.Client | undefined;
  try {
    client = await connectRegion(region, input.env, { purpose: 'migrate' });
    return { region: region.name, migrations, applied: new Set((await appliedMigrations(client)).map((a) => a.name)) };
  } catch (error) {
    return { region: region.name, migrations, applied: undefined, unreadable: regionError(region.name, error).message };
  } finally {
    await client?.end().catch(() => undefined);
  }
}

/**
 * Applies or reverts generated migrations on one or more regions. Files are
 * checked against residency.sum and secrets against the environment before
 * any database is touched. With several regions it runs in waves: every
 * region's local objects before any region's foreign tables (and the reverse
 * for down), stopping at the first failure. After `up`, each region's links
 * are tested as the writes use them (checkRegionLinks): a region whose links
 * fail is `failed`, its error naming each link, libpq's reason and the fix
 * (a link to a region outside the run is a warning: a rollout may go region
 * by region).
 */
export async function migrateFleet(input: MigrateInput): Promise<RegionMigrateResult[]> {
  const regions = selectRegions(input.config, input.regions, input.all);
  const targets: Target[] = [];
  for (const region of regions) {
    const migrations = await readRegionMigrations(input.dir, region.name);
    const secrets = input.direction === 'up' && !input.dryRun ? linkSecrets(input.config, region, input.env) : undefined;
    targets.push({ region, migrations, secrets, queue: [], done: [] });
  }
  const results = new Map<string, Omit<RegionMigrateResult, 'warnings'>>();
  /** Regions migrated whose links fail (checkRegionLinks): failed, the others keep their status. */
  const brokenLinks = new Map<string, ResidencyError>();
  /** Each region's prepared-transaction settings, read before an up. */
  const prepared = new Map<string, PreparedSettings>();
  /** Links that fail to regions this run did not migrate: warnings. */
  const linkNotes = new Map<string, string>();
  /** Regions whose queue stops before a remote file other regions must go first for: warnings. */
  const rolloutNotes = new Map<string, string>();
  const fail = (target: Target, error: unknown) => {
    const wrapped =
      error instanceof ResidencyError
        ? error
        : new ResidencyError('MIGRATION', `region "${target.region.name}": ${(error as Error).message}`, { cause: error });
    results.set(target.region.name, { region: target.region.name, status: 'failed', migrations: target.done, error: wrapped });
  };
  try {
    for (const target of targets) {
      try {
        target.client = await connectRegion(target.region, input.env, { purpose: 'migrate' });
        if (!input.dryRun) await takeFleetLock(target.client, target.region);
        if (input.direction === 'up') prepared.set(target.region.name, await requirePreparedTransactions(target.client, target.region));
        if (!input.dryRun) await prepareBindings(target.client, input.config, target.region);
        const applied = await appliedMigrations(target.client);
        target.queue = regionQueue(target.migrations, applied, {
          direction: input.direction,
          ...(input.count === undefined ? {} : { count: input.count }),
          ...(input.steps === undefined ? {} : { steps: input.steps }),
        });
        if (input.direction === 'down' && !input.dryRun && input.allowDestructive !== true)
          await refuseDroppedData(target.region, target.queue);
      } catch (error) {
        fail(target, error);
        break;
      }
    }
    // a rollout region by region: a step's remote files wait for every other region's local files (rolloutOrder.ts)
    if (results.size === 0 && input.direction === 'up') {
      const outside = input.config.regions.filter((r) => !targets.some((t) => t.region.name === r.name));
      const others = outside.length === 0 ? [] : await Promise.all(outside.map((r) => progressOf(r, input)));
      for (const target of targets) {
        if (others.length === 0) continue;
        const wait = remoteWaits(target.migrations, target.queue, others);
        const rename = renameWaits(target.migrations, target.queue, others);
        if (rename !== undefined && (wait === undefined || rename.index < wait.index)) {
          target.queue = target.queue.slice(0, rename.index);
          rolloutNotes.set(target.region.name, renameWaitMessage(target.region.name, rename));
        } else if (wait !== undefined) {
          target.queue = target.queue.slice(0, wait.index);
          rolloutNotes.set(target.region.name, remoteWaitMessage(target.region.name, wait));
        }
      }
    }
    if (results.size === 0 && input.dryRun) {
      for (const t of targets) {
        results.set(t.region.name, {
          region: t.region.name,
          status: t.queue.length ? 'dry-run' : 'nothing-to-do',
          migrations: t.queue.map((f) => f.name),
          sql: t.queue.map((f) => `-- ${t.region.name}: ${f.file}\n${migrationSection(f.content, input.direction)}`).join('\n'),
        });
      }
    }
    // the region's link-role password, its servers' connection options and
    // passwords, and its bound on writes in flight (writeGate.ts): after every
    // up, and before a backfill, which reads another region
    const secure = async (target: Target) => {
      await bindServers(target.client!, input.config, target.region);
      await bindWriteGate(target.client!, target.region);
      target.links = await applyLinkSecrets(target.client!, input.config, target.region, target.secrets!);
    };
    if (results.size === 0 && !input.dryRun) {
      const waves = planWaves(
        targets.map((t) => ({ region: t.region.name, queue: t.queue })),
        input.direction,
      );
      await runWaves(new Map(targets.map((t) => [t.region.name, t])), waves, input.direction, fail, secure, input.onStep);
    }
    if (input.direction === 'up' && !input.dryRun && results.size === 0) {
      // also where nothing ran: a changed password or address in regions.yaml takes effect
      for (const target of targets) {
        try {
          await secure(target);
          target.adminTodo = await readAdminTodo(target.client!);
        } catch (error) {
          fail(target, error);
          break;
        }
      }
    }
    if (input.direction === 'up' && !input.dryRun && results.size === 0) {
      // every link bound, tested as the writes use it: never "applied" on a fleet that cannot write.
      // A link to a region this run did not migrate (a rollout region by region) is a warning.
      const migrated = new Set(targets.map((t) => t.region.name));
      // each region on its own session: in parallel
      await Promise.all(
        targets.map(async (target) => {
          try {
            const failures = await checkRegionLinks(target.client!, input.config, target.region);
            const [within, outside] = [failures.filter((f) => migrated.has(f.to)), failures.filter((f) => !migrated.has(f.to))];
            if (within.length > 0) brokenLinks.set(target.region.name, linkCheckError(input.config, target.region, within));
            if (outside.length > 0)
              linkNotes.set(
                target.region.name,
                `${linkCheckError(input.config, target.region, outside).message}\n  (not migrated by this run: \`pg-residency migrate up --all\` tests them too)`,
              );
          } catch (error) {
            brokenLinks.set(target.region.name, regionError(target.region.name, error));
          }
        }),
      );
    }
  } finally {
    await Promise.all(targets.flatMap((t) => (t.client ? [t.client.end().catch(() => undefined)] : [])));
  }
  return targets.map((t) => ({
    ...(results.get(t.region.name) ??
      (results.size > 0 && t.done.length === 0
        ? { region: t.region.name, status: 'skipped' as const, migrations: [] }
        : {
            region: t.region.name,
            status:
              t.done.length === 0 ? ('nothing-to-do' as const) : input.direction === 'up' ? ('applied' as const) : ('reverted' as const),
            migrations: t.done,
          })),
    ...(brokenLinks.has(t.region.name) ? { status: 'failed' as const, error: brokenLinks.get(t.region.name)! } : {}),
    ...(t.links !== undefined ? { links: t.links } : {}),
    ...(t.adminTodo !== undefined && t.adminTodo.length > 0 ? { adminTodo: t.adminTodo } : {}),
    warnings: [
      ...linkWarnings(t.region),
      ...(linkNotes.has(t.region.name) ? [linkNotes.get(t.region.name)!] : []),
      ...[preparedBudgetWarning(input.config, t.region.name, prepared)].filter((w) => w !== undefined),
      ...(rolloutNotes.has(t.region.name) ? [rolloutNotes.get(t.region.name)!] : []),
    ],
  }));
}
