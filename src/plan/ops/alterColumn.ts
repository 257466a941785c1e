import type { Column, Entity } from '../../config/types.js';
import { entityKey } from '../apiShape.js';
import { defaultFill } from '../defaultFill.js';
import { columnTable, deferredDefault, EXPAND, quoteName, renderIn, type ChangeOp, type Contribution, type OpContext } from './changeOp.js';

/**
 * A column of a kept entity whose type, default or nullability changed (local
 * wave, expand): SET/DROP DEFAULT and SET/DROP NOT NULL on the table that
 * holds it; a type change is refused (add a new column, copy, drop the old one).
 * A default given to a column that had none fills its NULLs (as `ADD COLUMN
 * ... DEFAULT` would; now() and its kin with the generation time, the
 * expression itself following in the remote wave).
 */
export function alterColumn(ctx: OpContext, entity: Entity, list: 'mirrored' | 'resident', was: Column, column: Column): ChangeOp {
  const key = entityKey(entity);
  const defaultChanged = was.default !== column.default;
  const notNullChanged = was.notNull !== column.notNull;
  const what = `${defaultChanged ? 'the default' : ''}${defaultChanged && notNullChanged ? ' and ' : ''}${notNullChanged ? 'the nullability' : ''}`;
  const summary = `change ${what} of column ${quoteName(column.name)} of ${key}`;
  return {
    kind: 'alter_column',
    summary,
    wave: 'local',
    destroys: [],
    validate: () =>
      was.type === column.type
        ? []
        : [
            `${key}: changing the type of column ${quoteName(column.name)} (${was.type} to ${column.type}) is not supported; add a new column, copy, drop the old one`,
          ],
    render: () => {
      if (!defaultChanged && !notNullChanged) return [];
      const table = columnTable(entity, list);
      const fill = was.default === undefined && column.default !== undefined ? defaultFill(column.default, ctx.generatedAt) : undefined;
      const filling =
        fill === undefined || fill.kind === 'refused'
          ? {}
          : {
              fillAt: fill.kind === 'generatedAt' ? fill.at : undefined,
              fillTable: list === 'mirrored' ? table : { schema: ctx.here.name, name: table.name },
            };
      const context = {
        table,
        foreign: false,
        column: column.name,
        from: was,
        to: column,
        defaultChanged,
        notNullChanged,
        ...filling,
      };
      const contributions: Contribution[] = [
        { target: EXPAND, blocks: [renderIn(ctx, ctx.newConfig, 'column_alter', context)], change: summary },
      ];
      if ('fillAt' in filling && filling.fillAt !== undefined)
        contributions.push(deferredDefault(ctx, entity, table, column, filling.fillAt));
      return contributions;
    },
  };
}

/** Whether a column kept by name changed in a way alterColumn handles (or refuses). */
export function columnChanged(was: Column, column: Column): boolean {
  return was.type !== column.type || was.default !== column.default || was.notNull !== column.notNull;
}
