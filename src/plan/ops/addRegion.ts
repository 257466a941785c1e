import type { Region } from '../../config/types.js';
import { foreignBlock, regionRowBlock, serverBlock } from '../planRegion.js';
import { ownFile, quoteName, RANK, type ChangeOp, type OpContext } from './changeOp.js';

/**
 * A region joining the fleet, seen from a region already in it (remote
 * wave, `region_<name>`): the server and user mapping that reach it, a foreign
 * table per entity, and its registry row, last, so no call routes to it
 * before the rest exists.
 */
export function addRegion(ctx: OpContext, target: Region): ChangeOp {
  const summary = `add region ${quoteName(target.name)}: its server, user mapping, foreign tables and registry row`;
  const { newConfig, here } = ctx;
  return {
    kind: 'add_region',
    summary,
    wave: 'remote',
    destroys: [],
    validate: () => [],
    render: () => [
      {
        target: ownFile(`region_${target.name}`, RANK.addRegion),
        blocks: [
          ctx.render(newConfig, serverBlock(newConfig, here, target)),
          ...newConfig.entities.map((e) => ctx.render(newConfig, foreignBlock(newConfig, here, target, e))),
          ctx.render(newConfig, regionRowBlock(newConfig, here, target)),
        ],
        change: summary,
      },
    ],
  };
}
