import type { CommandModule } from 'yargs';
import { devDown } from '../../cluster/devDown.js';
import { devStatus } from '../../cluster/devStatus.js';
import { devUp } from '../../cluster/devUp.js';
import { loadConfig } from '../../config/loadConfig.js';
import { STATE_DIR } from '../secrets.js';

interface Args {
  config: string;
  action: 'up' | 'down' | 'status';
  purge: boolean;
  'state-dir': string;
}

const column = (text: string, width: number) => text.padEnd(width);

/** `pg-residency dev up|down|status`: the local fleet, drawn one line per region. */
export const devCommand: CommandModule<{ config: string }, Args> = {
  command: 'dev <action>',
  describe: 'Run the local dev fleet: one PostgreSQL server per region, of its major, from npm',
  builder: (y) =>
    y
      .positional('action', { choices: ['up', 'down', 'status'] as const, demandOption: true, describe: 'up: initialise and start; down: stop; status: show' })
      .option('purge', { type: 'boolean', default: false, describe: 'with down: also delete each region\'s data, log and, once no region is left, secrets.env' })
      .option('state-dir', { type: 'string', default: STATE_DIR, describe: 'where data directories, logs and secrets.env live' })
      .example('$0 dev up', 'start every region of regions.yaml')
      .example('$0 dev down --purge', 'stop them and delete their data'),
  handler: async (argv) => {
    const config = await loadConfig(argv.config, process.env);
    const stateDir = argv['state-dir'];
    const width = Math.max(...config.regions.map((r) => r.name.length)) + 2;
    if (argv.action === 'status') {
      for (const s of await devStatus(config, { stateDir })) {
        const state = s.running ? `running  PostgreSQL ${s.major} on ${s.host}:${s.port}  pid ${s.pid}` : 'stopped';
        console.log(`${column(s.region, width)}${state}  data ${s.dataDir}`);
      }
      return;
    }
    const results = argv.action === 'up' ? await devUp(config, { stateDir, env: process.env }) : await devDown(config, { stateDir, purge: argv.purge });
    for (const r of results) {
      const detail = r.error ? r.error.message : 'port' in r ? `PostgreSQL ${r.major} on ${r.host}:${r.port}  data ${r.dataDir}` : `data ${r.dataDir}${r.purged ? ' (deleted)' : ''}`;
      console.log(`${column(r.region, width)}${column(r.status, 17)}${detail}`);
    }
    if (results.some((r) => r.status === 'failed')) process.exitCode = 1;
  },
};
