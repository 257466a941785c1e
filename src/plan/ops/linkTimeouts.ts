import { EXPAND, renderIn, type ChangeOp, type OpContext } from './changeOp.js';

/** ALTER ROLE of the link role for new timeouts (local wave, expand). */
export function changeLinkTimeouts(ctx: OpContext): ChangeOp {
  const summary = 'change the timeouts of the link role';
  return {
    kind: 'link_timeouts',
    summary,
    wave: 'local',
    destroys: [],
    validate: () => [],
    render: () => [
      {
        target: EXPAND,
        blocks: [renderIn(ctx, ctx.newConfig, 'link_timeouts', { from: ctx.from.timeouts, to: ctx.to.timeouts })],
        change: summary,
      },
    ],
  };
}
