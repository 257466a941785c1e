import { CONTRACT, EXPAND, inverse, quoteName, renderIn, type ChangeOp, type OpContext } from './changeOp.js';

const context = (extensions: readonly string[]) => ({ extensions, extensionsReversed: [...extensions].reverse() });

/** CREATE EXTENSION for the extensions regions.yaml adds (local wave, expand). */
export function addExtensions(ctx: OpContext, extensions: readonly string[]): ChangeOp {
  const summary = `add extension ${extensions.map(quoteName).join(', ')}`;
  return {
    kind: 'add_extensions',
    summary,
    wave: 'local',
    destroys: [],
    validate: () => [],
    render: () => [{ target: EXPAND, blocks: [renderIn(ctx, ctx.newConfig, 'extensions', context(extensions))], change: summary }],
  };
}

/** DROP EXTENSION for the extensions regions.yaml no longer lists (local wave, contract): the inverse of their creation. */
export function dropExtensions(ctx: OpContext, extensions: readonly string[]): ChangeOp {
  const summary = `drop extension ${extensions.map(quoteName).join(', ')}`;
  return {
    kind: 'drop_extensions',
    summary,
    wave: 'local',
    destroys: [],
    validate: () => [],
    render: () => [
      { target: CONTRACT, blocks: [inverse(renderIn(ctx, ctx.oldConfig, 'extensions', context(extensions)))], change: summary },
    ],
  };
}
