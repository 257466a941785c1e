import type { CommandModule } from 'yargs';
import type { RegionSyncResult } from '../../migrate/syncFleet.js';
import { elapsed, jsonError, type CliContext, type JsonError } from '../context.js';
import { jsonOption, regionOptions, type GlobalArgs } from '../options.js';

interface Args extends GlobalArgs {
  region: string[];
  all: boolean;
  json: boolean;
}

/** `--json` result of sync. */
export interface SyncJson {
  /** False while a region failed or writes stay queued. */
  readonly ok: boolean;
  readonly regions: readonly (Omit<RegionSyncResult, 'error'> & { readonly error?: JsonError })[];
}

const settled = (r: RegionSyncResult) => r.error === undefined && r.entities.every((e) => e.pending === 0);

/** `pg-residency sync`: each region's lines as soon as it is done. */
export function syncCommand(ctx: CliContext): CommandModule<object, Args> {
  return {
    command: 'sync',
    describe: 'Replay directory writes queued while a region was unreachable; exit 1 while any stay queued',
    builder: (y) =>
      regionOptions(jsonOption(y)).example('$0 sync --all', "after an outage: bring every region's directory up to date") as never,
    handler: async (argv) => {
      const [{ loadConfig }, { syncFleet }] = await Promise.all([
        import('../../config/loadConfig.js'),
        import('../../migrate/syncFleet.js'),
      ]);
      const config = await loadConfig(argv.config, ctx.env);
      const results = await syncFleet(config, argv.region, argv.all, ctx.env, {
        onRegion: (r, ms) => {
          const region = r.region.padEnd(12);
          if (r.error) ctx.error(`${region} error [${r.error.code}]: ${r.error.message} (${elapsed(ms)})`);
          for (const e of r.entities) ctx.line(`${region} ${e.entity}: ${e.replayed} replayed, ${e.pending} still queued (${elapsed(ms)})`);
        },
      });
      const ok = results.every(settled);
      ctx.result({ ok, regions: results.map((r) => ({ ...r, error: r.error && jsonError(r.error) })) } satisfies SyncJson);
      if (!ok) ctx.fail();
    },
  };
}
