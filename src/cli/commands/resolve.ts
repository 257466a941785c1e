import type { CommandModule } from 'yargs';
import type { RegionResolveResult } from '../../migrate/resolveFleet.js';
import { elapsed, jsonError, type CliContext, type JsonError } from '../context.js';
import { jsonOption, regionOptions, type GlobalArgs } from '../options.js';

interface Args extends GlobalArgs {
  region: string[];
  all: boolean;
  json: boolean;
}

/** `--json` result of resolve. */
export interface ResolveJson {
  /** False while a region failed or prepared parts stay pending. */
  readonly ok: boolean;
  readonly regions: readonly (Omit<RegionResolveResult, 'error'> & { readonly error?: JsonError })[];
}

const settled = (r: RegionResolveResult) => r.error === undefined && r.pending === 0;

/** `pg-residency resolve`: each region's line as soon as it is done. */
export function resolveCommand(ctx: CliContext): CommandModule<object, Args> {
  return {
    command: 'resolve',
    describe:
      'Finish two-phase writes left prepared by a crash: commit what was decided, roll back the rest; exit 1 while any stay pending',
    builder: (y) => regionOptions(jsonOption(y)).example('$0 resolve --all', 'after a region or a caller crashed mid-write') as never,
    handler: async (argv) => {
      const [{ loadConfig }, { resolveFleet }] = await Promise.all([
        import('../../config/loadConfig.js'),
        import('../../migrate/resolveFleet.js'),
      ]);
      const config = await loadConfig(argv.config, ctx.env);
      const results = await resolveFleet(config, argv.region, argv.all, ctx.env, {
        onRegion: (r, ms) => {
          const region = r.region.padEnd(12);
          if (r.error) ctx.error(`${region} error [${r.error.code}]: ${r.error.message} (${elapsed(ms)})`);
          else
            ctx.line(
              `${region} ${r.committed} committed, ${r.rolledBack} rolled back, ${r.pending} pending, ${r.recordsDeleted} spent record(s) deleted (${elapsed(ms)})`,
            );
        },
      });
      const ok = results.every(settled);
      ctx.result({ ok, regions: results.map((r) => ({ ...r, error: r.error && jsonError(r.error) })) } satisfies ResolveJson);
      if (!ok) ctx.fail();
    },
  };
}
