import type { Column, Entity } from '../../config/types.js';
import { entityKey } from '../apiShape.js';
import { columnTable, EXPAND, quoteName, renderIn, type ChangeOp, type OpContext } from './changeOp.js';

/**
 * A column of a kept entity whose type, default or nullability changed (local
 * wave, expand): SET/DROP DEFAULT and SET/DROP NOT NULL on the table that
 * holds it; a type change is refused (add a new column, copy, drop the old one).
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
      const context = {
        table: columnTable(entity, list),
        foreign: false,
        column: column.name,
        from: was,
        to: column,
        defaultChanged,
        notNullChanged,
      };
      return [{ target: EXPAND, blocks: [renderIn(ctx, ctx.newConfig, 'column_alter', context)], change: summary }];
    },
  };
}

/** Whether a column kept by name changed in a way alterColumn handles (or refuses). */
export function columnChanged(was: Column, column: Column): boolean {
  return was.type !== column.type || was.default !== column.default || was.notNull !== column.notNull;
}
