import type { Column, Entity } from '../../config/types.js';
import { entityKey } from '../apiShape.js';
import { columnTable, CONTRACT, inverse, quoteName, renderIn, type ChangeOp, type OpContext } from './changeOp.js';

/**
 * A column regions.yaml no longer lists (destructive; local wave, contract,
 * after every region's functions stopped using it: its upsert parameter stays,
 * accepted and ignored). Down adds it back empty.
 */
export function dropColumn(ctx: OpContext, entity: Entity, list: 'mirrored' | 'resident', column: Column): ChangeOp {
  const key = entityKey(entity);
  const destroys = `drop ${list} column ${quoteName(column.name)} of ${key} and its values`;
  return {
    kind: 'drop_column',
    summary: `drop ${list} column ${quoteName(column.name)} of ${key}`,
    wave: 'local',
    destroys: [destroys],
    validate: () => [],
    render: () => [
      {
        target: CONTRACT,
        blocks: [
          inverse(
            renderIn(ctx, ctx.oldConfig, 'column_add', { table: columnTable(entity, list), foreign: false, column, noStatistics: [] }),
          ),
        ],
        change: `drop ${list} column ${quoteName(column.name)} of ${key}`,
        destroys,
      },
    ],
  };
}
