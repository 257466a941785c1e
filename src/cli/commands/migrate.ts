import type { CommandModule } from 'yargs';
import type { MigrateStep, RegionMigrateResult } from '../../migrate/migrateFleet.js';
import type { RegionStatus } from '../../migrate/statusFleet.js';
import { elapsed, jsonError, type CliContext, type JsonError } from '../context.js';
import { jsonOption, regionOptions, type GlobalArgs } from '../options.js';

interface Args extends GlobalArgs {
  action: 'up' | 'down' | 'status';
  region: string[];
  all: boolean;
  dir: string;
  'dry-run': boolean;
  'allow-destructive': boolean;
  count?: string;
  steps?: string;
  json: boolean;
}

const POSITIVE = /^[1-9][0-9]*$/;

/** Why --count and --steps do not fit, or true: a usage error, exit 2 (the region selection is checked by regionOptions). */
function checkArgs(argv: { count?: unknown; steps?: unknown; action?: string }): true | string {
  for (const flag of ['count', 'steps'] as const) {
    const value = argv[flag];
    if (value === undefined) continue;
    if (!POSITIVE.test(String(value)))
      return `--${flag} ${JSON.stringify(String(value))} must be a positive whole number, e.g. --${flag} 1`;
    if (argv.action !== 'down') return `--${flag} only applies to migrate down`;
  }
  if (argv.count !== undefined && argv.steps !== undefined) return '--count and --steps contradict each other: pass one';
  return true;
}

/** `--json` result of migrate up and migrate down. */
export interface MigrateJson {
  /** False when a region failed. */
  readonly ok: boolean;
  readonly regions: readonly (Omit<RegionMigrateResult, 'error'> & { readonly error?: JsonError })[];
}

/** `--json` result of migrate status. */
export interface MigrateStatusJson {
  /** False when anything is pending, unknown or modified, or a region could not be read. */
  readonly ok: boolean;
  readonly regions: readonly (Omit<RegionStatus, 'error'> & { readonly error?: JsonError })[];
}

const pad = (region: string) => region.padEnd(12);

function printStep(ctx: CliContext, direction: 'up' | 'down', step: MigrateStep): void {
  const verb = direction === 'up' ? 'applied' : 'reverted';
  ctx.line(`${pad(step.region)} ${step.phase.padEnd(7)} ${verb} ${step.migrations.length} (${elapsed(step.elapsedMs)})`);
}

function printResult(ctx: CliContext, r: RegionMigrateResult, direction: 'up' | 'down'): void {
  const list = r.migrations.length ? `: ${r.migrations.join(', ')}` : '';
  // a failed region's migrations committed before the failure: they did not fail
  const status =
    r.status === 'failed' && r.migrations.length > 0
      ? `failed after ${direction === 'up' ? 'applying' : 'reverting'} ${r.migrations.length}`
      : r.status;
  ctx.line(`${pad(r.region)} ${status}${list}`);
  if (r.error) ctx.error(`${pad(r.region)} error [${r.error.code}]: ${r.error.message}`);
  if (r.links !== undefined && r.links.length > 0) {
    const how = (auth: string) => (auth === 'cert' ? "by the link role's certificate (no password stored)" : 'by password (SCRAM)');
    ctx.line(`${pad('')} links: ${r.links.map((l) => `to ${l.target} ${how(l.auth)}`).join(', ')}`);
  }
  for (const todo of r.adminTodo ?? []) {
    ctx.error(
      `${pad(r.region)} admin to-do: ${todo.item}: the migrating role may not; as an admin, connected to this region's database, run:\n${todo.fix
        .split('\n')
        .map((l) => `${pad('')}   ${l}`)
        .join('\n')}`,
    );
  }
}

function printStatus(ctx: CliContext, s: RegionStatus): void {
  if (s.error) {
    ctx.line(`${pad(s.region)} failed`);
    ctx.error(`${pad(s.region)} error [${s.error.code}]: ${s.error.message}`);
    return;
  }
  ctx.line(
    `${pad(s.region)} ${s.applied.length} applied, ${s.pending.length} pending, ${s.unknown.length} unknown, ${s.modified.length} modified`,
  );
  for (const name of s.pending) ctx.line(`${pad('')} pending   ${name}`);
  for (const name of s.unknown) ctx.line(`${pad('')} unknown   ${name} (applied, but not in generated/)`);
  for (const name of s.modified) ctx.line(`${pad('')} modified  ${name} (edited after it was applied)`);
  if (s.stalePrepared > 0)
    ctx.line(`${pad('')} prepared  ${s.stalePrepared} part(s) of two-phase writes prepared over a minute ago: run pg-residency resolve`);
}

/** `pg-residency migrate up|down|status`. */
export function migrateCommand(ctx: CliContext): CommandModule<object, Args> {
  return {
    command: 'migrate <action>',
    describe: 'Apply, revert or inspect the generated migrations of one or more regions',
    builder: (y) =>
      regionOptions(jsonOption(y))
        .positional('action', {
          choices: ['up', 'down', 'status'] as const,
          describe:
            'up: apply pending; down: revert applied (all unless --count or --steps; dropping tables or columns needs --allow-destructive); status: list, exit 1 when anything is pending',
        })
        .option('dir', { type: 'string', default: 'generated', describe: 'folder of the generated migrations' })
        .option('dry-run', { type: 'boolean', default: false, describe: 'print the SQL each region would run; change nothing' })
        .option('count', { type: 'string', describe: 'with down: revert only this many migrations per region (a positive integer)' })
        .option('steps', { type: 'string', describe: "with down: revert the last this many applied steps of each region's history" })
        .option('allow-destructive', {
          type: 'boolean',
          default: false,
          describe: 'with down: also revert migrations that drop tables or columns (and their rows)',
        })
        .check(checkArgs)
        .example('$0 migrate up --region usa', "apply usa's pending migrations")
        .example('$0 migrate up --all', 'apply every region, in waves')
        .example('$0 migrate status --all', 'exit 1 when any region has pending migrations') as never,
    handler: async (argv) => {
      const { loadConfig } = await import('../../config/loadConfig.js');
      const config = await loadConfig(argv.config, ctx.env);
      if (argv.action === 'status') {
        const { needsAttention, statusFleet } = await import('../../migrate/statusFleet.js');
        const statuses = await statusFleet(config, argv.region, argv.all, argv.dir, ctx.env);
        for (const s of statuses) printStatus(ctx, s);
        const behind = statuses.filter((s) => s.error === undefined && s.pending.length > 0).map((s) => s.region);
        const current = statuses.filter((s) => s.error === undefined && s.pending.length === 0).map((s) => s.region);
        if (behind.length > 0) {
          // after a rollout stopped half-way: say who is ahead and what brings the rest level
          ctx.line(
            `\n${behind.join(', ')} ${behind.length === 1 ? 'is' : 'are'} behind${current.length > 0 ? ` ${current.join(', ')}` : ''}: run \`pg-residency migrate up --all\`, which applies what is pending in waves`,
          );
        }
        const ok = !statuses.some(needsAttention);
        ctx.result({
          ok,
          regions: statuses.map((s) => ({ ...s, error: s.error && jsonError(s.error) })),
        } satisfies MigrateStatusJson);
        if (!ok) ctx.fail();
        return;
      }
      const { migrateFleet } = await import('../../migrate/migrateFleet.js');
      const direction = argv.action;
      const results = await migrateFleet({
        config,
        regions: argv.region,
        all: argv.all,
        direction,
        dir: argv.dir,
        env: ctx.env,
        dryRun: argv['dry-run'],
        onStep: (step) => printStep(ctx, direction, step),
        ...(argv.count !== undefined ? { count: Number(argv.count) } : {}),
        ...(argv.steps !== undefined ? { steps: Number(argv.steps) } : {}),
        allowDestructive: argv['allow-destructive'],
      });
      if (argv['dry-run']) for (const r of results) if (r.sql) ctx.line(r.sql);
      for (const r of results) printResult(ctx, r, direction);
      for (const warning of results.flatMap((r) => r.warnings ?? [])) ctx.error(`warning: ${warning}`);
      const ok = !results.some((r) => r.status === 'failed');
      ctx.result({ ok, regions: results.map((r) => ({ ...r, error: r.error && jsonError(r.error) })) } satisfies MigrateJson);
      if (!ok) ctx.fail();
    },
  };
}
