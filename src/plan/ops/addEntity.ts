import type { Entity } from '../../config/types.js';
import { entityKey } from '../apiShape.js';
import { entityContext } from '../entityContext.js';
import { applyBlock, foreignBlock } from '../planRegion.js';
import { EXPAND, ownFile, quoteName, RANK, renderIn, type ChangeOp, type Contribution, type OpContext } from './changeOp.js';

/**
 * A new entity: its tables, types and apply function in the local wave
 * (expand), its foreign tables in every region already in the fleet in a
 * remote file (`foreign_<entity>`). Its functions come from replaceCode.
 */
export function addEntity(ctx: OpContext, entity: Entity): ChangeOp {
  const key = entityKey(entity);
  return {
    kind: 'add_entity',
    summary: `add entity ${key}`,
    wave: 'local',
    destroys: [],
    validate: () => [],
    render: () => {
      const context = { entity: entityContext(ctx.newConfig, entity, ctx.here) };
      const apply = applyBlock(ctx.newConfig, ctx.here, entity);
      const applied = ctx.render(ctx.newConfig, apply);
      const parts: Contribution[] = [
        {
          target: EXPAND,
          blocks: [renderIn(ctx, ctx.newConfig, 'entity', context), renderIn(ctx, ctx.newConfig, 'entity_types', context), applied],
          change: `add entity ${key}`,
          creates: [{ id: apply.marker!, sha256: ctx.codeHash([applied]) }],
        },
      ];
      if (ctx.keptOthers.length > 0)
        parts.push({
          target: ownFile(`foreign_${entity.name}`, RANK.foreignTables),
          blocks: ctx.keptOthers.map((t) => ctx.render(ctx.newConfig, foreignBlock(ctx.newConfig, ctx.here, t, entity))),
          change: `foreign tables of ${key} in ${ctx.keptOthers.map((t) => quoteName(t.name)).join(', ')}`,
        });
      return parts;
    },
  };
}
