import type { Column, Entity } from '../../config/types.js';
import { entityKey } from '../apiShape.js';
import { columnTable, EXPAND, quoteName, renderIn, type ChangeOp, type OpContext } from './changeOp.js';

/**
 * A new column of a kept entity (local wave, expand): ADD COLUMN on the
 * entity's table (mirrored) or details table (resident), which reaches its
 * partitions and foreign partitions; a resident column gets no statistics on
 * any table that could sample another region's personal data. The entity's
 * functions, replaced in the remote wave, take it as a new trailing parameter.
 */
export function addColumn(
  ctx: OpContext,
  entity: Entity,
  list: 'mirrored' | 'resident',
  column: Column,
  /** The entity before the step: a column of the same name in the other list moves. */
  before: Entity,
): ChangeOp {
  const key = entityKey(entity);
  const summary = `add ${list} column ${quoteName(column.name)} to ${key}`;
  const otherList = list === 'mirrored' ? 'resident' : 'mirrored';
  return {
    kind: 'add_column',
    summary,
    wave: 'local',
    destroys: [],
    validate: () => {
      if (before[otherList].some((c) => c.name === column.name))
        return [
          `${key}: column ${quoteName(column.name)} moves between mirrored and resident; that is not supported (add a new column, copy, drop the old one)`,
        ];
      if (column.notNull)
        return [
          `${key}: new column ${quoteName(column.name)} is not_null; existing rows have no value for it. Add it without not_null, fill it, then set not_null in a later step`,
        ];
      return [];
    },
    render: () => {
      const table = columnTable(entity, list);
      const noStatistics =
        list === 'resident'
          ? [
              { schema: entity.schema, name: table.name, foreign: false },
              ...ctx.othersBefore.map((t) => ({ schema: t.name, name: table.name, foreign: true })),
            ]
          : [];
      return [
        {
          target: EXPAND,
          blocks: [renderIn(ctx, ctx.newConfig, 'column_add', { table, foreign: false, column, noStatistics })],
          change: summary,
        },
      ];
    },
  };
}
