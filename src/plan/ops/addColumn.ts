import type { Column, Entity } from '../../config/types.js';
import { entityKey } from '../apiShape.js';
import { defaultFill } from '../defaultFill.js';
import { columnTable, deferredDefault, EXPAND, quoteName, renderIn, type ChangeOp, type Contribution, type OpContext } from './changeOp.js';

/**
 * A new column of a kept entity (local wave, expand): ADD COLUMN on the
 * entity's table (mirrored) or details table (resident), which reaches its
 * partitions and foreign partitions; a resident column gets no statistics on
 * any table that could sample another region's personal data. The entity's
 * write reads its fields from the row type, which the remote wave extends
 * (with an overload taking it as a new trailing parameter). With a default,
 * existing rows get it, the same in every region (defaultFill.ts): PostgreSQL
 * 11+ `ADD COLUMN ... DEFAULT` (no rewrite), 10 added then filled in batches;
 * now() and its kin fill with the generation time, the expression itself
 * following in the remote wave; another non-constant default is refused.
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
  const fill = column.default === undefined ? undefined : defaultFill(column.default, ctx.generatedAt);
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
      if (fill?.kind === 'refused') return [`${key}: new column ${quoteName(column.name)}: ${fill.why}`];
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
      // existing rows get the default, the same in every region (issue 18)
      const fillFast = fill !== undefined && ctx.here.postgres >= 11;
      const filling = {
        fillFast,
        fillAt: fill?.kind === 'generatedAt' ? fill.at : undefined,
        fillTable: fill === undefined || fillFast ? undefined : list === 'mirrored' ? table : { schema: ctx.here.name, name: table.name },
      };
      const contributions: Contribution[] = [
        {
          target: EXPAND,
          blocks: [renderIn(ctx, ctx.newConfig, 'column_add', { table, foreign: false, column, noStatistics, ...filling })],
          change: summary,
        },
      ];
      if (filling.fillAt !== undefined) contributions.push(deferredDefault(ctx, entity, table, column, filling.fillAt));
      return contributions;
    },
  };
}
