import type { Config, Region } from '../../config/types.js';
import { fdwServerOptions } from '../fdwServerOptions.js';
import { ownFile, RANK, renderIn, type ChangeOp, type OpContext } from './changeOp.js';

/** The postgres_fdw options a region's servers carry, by name (connection options are bound at migrate time). */
export function serverOptionsOf(config: Config, here: Region): Map<string, string> {
  const supports = fdwServerOptions(here.postgres);
  const options = new Map<string, string>();
  if (supports.asyncCapable) options.set('async_capable', 'true');
  if (supports.batchSize) options.set('batch_size', String(config.fdwOptions.batchSize));
  if (supports.keepConnections) options.set('keep_connections', 'on');
  if (supports.parallelCommit) options.set('parallel_commit', 'true');
  if (supports.parallelAbort) options.set('parallel_abort', 'true');
  options.set('fetch_size', String(config.fdwOptions.fetchSize));
  return options;
}

function optionDiff(from: Map<string, string>, to: Map<string, string>) {
  const entries = (list: [string, string][]) => list.map(([name, value]) => ({ name, value }));
  return {
    add: entries([...to].filter(([k]) => !from.has(k))),
    set: entries([...to].filter(([k, v]) => from.has(k) && from.get(k) !== v)),
    drop: entries([...from].filter(([k]) => !to.has(k))),
  };
}

/** ALTER SERVER ... OPTIONS on the servers of the regions that stay, when this region's version or fdw_options change them (remote wave). */
export function changeServerOptions(ctx: OpContext, before: Map<string, string>, after: Map<string, string>): ChangeOp {
  const summary = `server options for PostgreSQL ${ctx.here.postgres} and fdw_options`;
  return {
    kind: 'server_options',
    summary,
    wave: 'remote',
    destroys: [],
    validate: () => [],
    render: () => {
      const diff = { up: optionDiff(before, after), down: optionDiff(after, before) };
      return [
        {
          target: ownFile('server_options', RANK.serverOptions),
          blocks: ctx.keptOthers.map((target) => renderIn(ctx, ctx.newConfig, 'server_options', { target, ...diff })),
          change: summary,
        },
      ];
    },
  };
}
