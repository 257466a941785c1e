import type { CommandModule } from 'yargs';
import type { DevDownResult } from '../../cluster/devDown.js';
import type { DevStatusResult } from '../../cluster/devStatus.js';
import type { DevUpResult } from '../../cluster/devUp.js';
import { elapsed, jsonError, type CliContext, type JsonError } from '../context.js';
import { jsonOption, type GlobalArgs } from '../options.js';

interface Args extends GlobalArgs {
  action: 'up' | 'down' | 'status';
  purge: boolean;
  json: boolean;
}

type WithJsonError<T> = Omit<T, 'error'> & { readonly error?: JsonError };

/** `--json` result of dev up, dev down and dev status. */
export interface DevJson {
  /** False when a region failed (up, down); always true for status. */
  readonly ok: boolean;
  readonly regions: readonly (WithJsonError<DevUpResult> | WithJsonError<DevDownResult> | DevStatusResult)[];
}

const upLine = (r: DevUpResult) =>
  `PostgreSQL ${r.major} on ${r.host}:${r.port}${r.pooler === undefined ? '' : `  link pooler on ${r.pooler.host}:${r.pooler.port}`}  data ${r.dataDir}${r.recoveredFrom === undefined ? '' : `  (recovered after a crash: removed the stale postmaster.pid of pid ${r.recoveredFrom})`}`;
const downLine = (r: DevDownResult) => `data ${r.dataDir}${r.purged ? ' (deleted)' : ''}`;
const statusLine = (s: DevStatusResult) =>
  `${s.running ? `running  PostgreSQL ${s.major} on ${s.host}:${s.port}  pid ${s.pid}` : 'stopped'}${s.pooler === undefined ? '' : `  link pooler on ${s.pooler.host}:${s.pooler.port} ${s.pooler.pid === undefined ? 'stopped' : `pid ${s.pooler.pid}`}`}  data ${s.dataDir}`;

/** `pg-residency dev up|down|status`: the local fleet, one line per region. */
export function devCommand(ctx: CliContext): CommandModule<object, Args> {
  return {
    command: 'dev <action>',
    describe: 'Run the local dev fleet: one PostgreSQL server per region, of its major, from npm',
    builder: (y) =>
      jsonOption(y)
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
      const { loadConfig } = await import('../../config/loadConfig.js');
      const config = await loadConfig(argv.config, ctx.env);
      const stateDir = argv['state-dir'];
      const name = (region: string) => region.padEnd(Math.max(...config.regions.map((r) => r.name.length)) + 2);
      if (argv.action === 'status') {
        const { devStatus } = await import('../../cluster/devStatus.js');
        const statuses = await devStatus(config, { stateDir });
        for (const s of statuses) ctx.line(`${name(s.region)}${statusLine(s)}`);
        ctx.result({ ok: true, regions: statuses } satisfies DevJson);
        return;
      }
      const results: (DevUpResult | DevDownResult)[] = [];
      if (argv.action === 'up') {
        const { devUp } = await import('../../cluster/devUp.js');
        const up = await devUp(config, {
          stateDir,
          env: ctx.env,
          onStart: (region) => {
            const major = config.regions.find((r) => r.name === region)?.postgres;
            ctx.progress(`${name(region)}starting PostgreSQL ${major}`);
          },
          onRegion: (r, ms) => ctx.progress(`${name(r.region)}${r.status} (${elapsed(ms)})`),
        });
        for (const r of up) {
          results.push(r);
          ctx.line(`${name(r.region)}${r.status.padEnd(17)}${r.error ? '' : upLine(r)}`);
        }
      } else {
        const { devDown } = await import('../../cluster/devDown.js');
        for (const r of await devDown(config, { stateDir, purge: argv.purge, stopUnlisted: true })) {
          results.push(r);
          ctx.line(`${name(r.region)}${r.status.padEnd(17)}${r.error ? '' : downLine(r)}`);
        }
      }
      for (const r of results) if (r.error) ctx.error(`${name(r.region)}error [${r.error.code}]: ${r.error.message}`);
      const ok = !results.some((r) => r.status === 'failed');
      ctx.result({ ok, regions: results.map((r) => ({ ...r, error: r.error && jsonError(r.error) })) } satisfies DevJson);
      if (!ok) ctx.fail();
    },
  };
}
