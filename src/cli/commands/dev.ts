import type { CommandModule } from 'yargs';
import type { DevDownResult } from '../../cluster/devDown.js';
import { devDown } from '../../cluster/devDown.js';
import type { DevStatusResult } from '../../cluster/devStatus.js';
import { devStatus } from '../../cluster/devStatus.js';
import type { DevUpResult } from '../../cluster/devUp.js';
import { devUp } from '../../cluster/devUp.js';
import { loadConfig } from '../../config/loadConfig.js';

interface Args {
  config: string;
  action: 'up' | 'down' | 'status';
  purge: boolean;
  'state-dir': string;
}

const upLine = (r: DevUpResult) =>
  r.error?.message ??
  `PostgreSQL ${r.major} on ${r.host}:${r.port}  data ${r.dataDir}${r.recoveredFrom === undefined ? '' : `  (recovered after a crash: removed the stale postmaster.pid of pid ${r.recoveredFrom})`}`;
const downLine = (r: DevDownResult) => r.error?.message ?? `data ${r.dataDir}${r.purged ? ' (deleted)' : ''}`;
const statusLine = (s: DevStatusResult) =>
  `${s.running ? `running  PostgreSQL ${s.major} on ${s.host}:${s.port}  pid ${s.pid}` : 'stopped'}  data ${s.dataDir}`;

/** `pg-residency dev up|down|status`: the local fleet, one line per region. */
export const devCommand: CommandModule<{ config: string }, Args> = {
  command: 'dev <action>',
  describe: 'Run the local dev fleet: one PostgreSQL server per region, of its major, from npm',
  builder: (y) =>
    y
      .positional('action', {
        choices: ['up', 'down', 'status'] as const,
        demandOption: true,
        describe: 'up: initialise and start; down: stop; status: show',
      })
      .option('purge', {
        type: 'boolean',
        default: false,
        describe: "with down: also delete each region's data and log, and secrets.env once no region is left",
      })
      .example('$0 dev up', 'start every region of regions.yaml')
      .example('$0 dev down --purge', 'stop them and delete their data') as never,
  handler: async (argv) => {
    const config = await loadConfig(argv.config, process.env);
    const stateDir = argv['state-dir'];
    const name = (region: string) => region.padEnd(Math.max(...config.regions.map((r) => r.name.length)) + 2);
    if (argv.action === 'status') {
      for (const s of await devStatus(config, { stateDir })) console.log(`${name(s.region)}${statusLine(s)}`);
      return;
    }
    const lines =
      argv.action === 'up'
        ? (await devUp(config, { stateDir, env: process.env })).map((r) => [r.region, r.status, upLine(r)] as const)
        : (await devDown(config, { stateDir, purge: argv.purge })).map((r) => [r.region, r.status, downLine(r)] as const);
    for (const [region, status, detail] of lines) console.log(`${name(region)}${status.padEnd(17)}${detail}`);
    if (lines.some(([, status]) => status === 'failed')) process.exitCode = 1;
  },
};
