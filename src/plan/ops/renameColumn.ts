import type { Column, Entity } from '../../config/types.js';
import { derivedNames } from '../../config/derivedNames.js';
import { entityKey } from '../apiShape.js';
import { columnTable, CONTRACT, ownFile, quoteName, RANK, renderIn, type ChangeOp, type OpContext } from './changeOp.js';

/** The columns of an entity that this step renames: new name -> the column before. */
export function renamesOf(before: Entity, after: Entity): Map<string, { readonly from: Column; readonly list: 'mirrored' | 'resident' }> {
  const renames = new Map<string, { from: Column; list: 'mirrored' | 'resident' }>();
  for (const list of ['mirrored', 'resident'] as const) {
    for (const column of after[list]) {
      if (column.renamedFrom === undefined) continue;
      // left in regions.yaml after the step that made it: nothing to do
      if ([...before.mirrored, ...before.resident].some((c) => c.name === column.name)) continue;
      const from = [...before.mirrored, ...before.resident].find((c) => c.name === column.renamedFrom);
      renames.set(column.name, { from: from ?? { name: column.renamedFrom, type: column.type, notNull: false, default: undefined }, list });
    }
  }
  return renames;
}

/**
 * A column renamed (`renamed_from` in regions.yaml): non-destructive, the
 * values stay. It runs in the remote wave, in the entity's functions file
 * (under the registry lock), after the old functions are restored on down and
 * before the new ones are created on up (SQL function bodies are checked
 * against the names at creation): the table (RENAME COLUMN on the entity's table, or on its
 * details table, which renames its leaf and foreign partitions) and the row
 * type's attribute. A region's foreign partitions keep reading the old name
 * of regions not renamed yet (the `column_name` option), until the contract
 * wave drops that option, once every region runs the new name.
 *
 * Old callers keep working: upsert's parameters keep the names they were
 * created with (positional calls and calls by name both work), and
 * upsert_<entity>_many takes the old JSON field name as the new one.
 */
export function renameColumn(
  ctx: OpContext,
  entity: Entity,
  list: 'mirrored' | 'resident',
  from: Column,
  column: Column,
  before: Entity,
): ChangeOp {
  const key = entityKey(entity);
  const summary = `rename ${list} column ${quoteName(from.name)} of ${key} to ${quoteName(column.name)}`;
  const wasList = before.mirrored.some((c) => c.name === from.name)
    ? 'mirrored'
    : before.resident.some((c) => c.name === from.name)
      ? 'resident'
      : undefined;
  // foreign partitions of the details table, in the regions that stay
  const foreign = list === 'resident' ? ctx.keptOthers.map((t) => ({ schema: t.name, name: derivedNames(entity.name).details })) : [];
  return {
    kind: 'rename_column',
    summary,
    wave: 'remote',
    destroys: [],
    validate: () => {
      if (wasList === undefined)
        return [
          `${key}: column ${quoteName(column.name)} is renamed_from ${quoteName(from.name)}, which ${key} did not have in the previous step; fix renamed_from or remove it`,
        ];
      if (wasList !== list)
        return [
          `${key}: column ${quoteName(column.name)} is renamed_from ${quoteName(from.name)}, a ${wasList} column; a rename cannot move a column between mirrored and resident`,
        ];
      if (from.type !== column.type)
        return [
          `${key}: column ${quoteName(column.name)} is renamed_from ${quoteName(from.name)} of type ${from.type}, but has type ${column.type}; rename in one step, change the type (add a column, copy, drop) in another`,
        ];
      if (from.default !== column.default || from.notNull !== column.notNull)
        return [
          `${key}: column ${quoteName(column.name)} is renamed_from ${quoteName(from.name)} and changes its default or not_null too; rename in one step, change it in the next`,
        ];
      return [];
    },
    render: () => {
      const context = {
        table: columnTable(entity, list),
        rowType: { schema: entity.schema, name: derivedNames(entity.name).row },
        from: from.name,
        to: column.name,
        foreign,
      };
      return [
        {
          // inside the entity's functions file, between restoring the old functions and creating the new ones
          target: ownFile(`functions_${entity.name}`, RANK.functions, 'unlisted'),
          rank: 0,
          blocks: [renderIn(ctx, ctx.newConfig, 'column_rename', context)],
          change: summary,
          // a region renamed before the others would store the default for a value written under the old name
          together: true,
        },
        ...(foreign.length === 0
          ? []
          : [
              {
                target: CONTRACT,
                blocks: [renderIn(ctx, ctx.newConfig, 'column_rename_done', context)],
                change: `read ${quoteName(column.name)} of ${key} by its new name in every region`,
              },
            ]),
      ];
    },
  };
}
