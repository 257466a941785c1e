import type { CommandModule } from 'yargs';
import { loadConfig } from '../../config/loadConfig.js';
import { syncFleet } from '../../migrate/syncFleet.js';

interface Args {
  config: string;
  region: string[];
  all: boolean;
}

export const syncCommand: CommandModule<object, Args> = {
  command: 'sync',
  describe: 'Replay directory writes queued while a region was unreachable; exit 1 while any stay queued',
  builder: (y) =>
    y
      .option('region', { type: 'string', array: true, default: [], describe: 'a region from regions.yaml (repeatable)' })
      .option('all', { type: 'boolean', default: false, describe: 'every region' })
      .example('$0 sync --all', "after an outage: bring every region's directory up to date") as never,
  handler: async (argv) => {
    const config = await loadConfig(argv.config, process.env);
    const results = await syncFleet(config, argv.region, argv.all, process.env);
    for (const r of results) {
      if (r.error) console.log(`${r.region.padEnd(12)} failed: ${r.error.message}`);
      for (const e of r.entities) console.log(`${r.region.padEnd(12)} ${e.entity}: ${e.replayed} replayed, ${e.pending} still queued`);
    }
    if (results.some((r) => r.error || r.entities.some((e) => e.pending > 0))) process.exitCode = 1;
  },
};
