import type { Region } from '../../config/types.js';
import { entityContext } from '../entityContext.js';
import { foreignBlock, regionRowBlock, serverBlock } from '../planRegion.js';
import { inverse, ownFile, quoteName, RANK, renderIn, type ChangeOp, type OpContext } from './changeOp.js';

/**
 * A region leaving the fleet, seen from one that stays (destructive; remote
 * wave, `remove_region_<name>`, under the registry lock so calls in flight
 * finish first): refused while it owns personal rows, then its registry row,
 * foreign tables, user mapping and server. Down brings them back (the
 * region's data is the user's to restore).
 */
export function removeRegion(ctx: OpContext, target: Region): ChangeOp {
  const { oldConfig, hereBefore } = ctx;
  const destroys = `remove region ${quoteName(target.name)} from the fleet`;
  return {
    kind: 'remove_region',
    summary: `remove region ${quoteName(target.name)}`,
    wave: 'remote',
    destroys: [destroys],
    validate: () => [],
    render: () => {
      const entities = oldConfig.entities.map((e) => entityContext(oldConfig, e, hereBefore));
      return [
        {
          target: ownFile(`remove_region_${target.name}`, RANK.removeRegion, 'listed'),
          blocks: [
            renderIn(ctx, oldConfig, 'region_leave', { target, entities }),
            inverse(ctx.render(oldConfig, regionRowBlock(oldConfig, hereBefore, target))),
            ...oldConfig.entities.map((e) => inverse(ctx.render(oldConfig, foreignBlock(oldConfig, hereBefore, target, e)))),
            ...(ctx.twoPhase
              ? []
              : oldConfig.entities.map((e) =>
                  renderIn(ctx, oldConfig, 'foreign_tables_retired', { target, entity: entityContext(oldConfig, e, hereBefore) }),
                )),
            inverse(ctx.render(oldConfig, serverBlock(oldConfig, hereBefore, target))),
          ],
          change: `remove region ${quoteName(target.name)}: refused while it owns personal rows; its registry row, foreign tables, user mapping and server`,
          destroys,
        },
      ];
    },
  };
}
