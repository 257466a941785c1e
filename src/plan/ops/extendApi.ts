import type { Entity } from '../../config/types.js';
import { derivedNames } from '../../config/derivedNames.js';
import { entityKey, type ApiShape } from '../apiShape.js';
import { overloadBlock } from '../planRegion.js';
import { joinSql, ownFile, RANK, renderIn, type ChangeOp, type OpContext } from './changeOp.js';

/**
 * An entity's API grown while its functions stay (remote file
 * `functions_<entity>`, under the registry lock): the column-agnostic write
 * reads its fields from the row type, so a column added needs only the row
 * type's new attribute and the `upsert_<entity>` overload that takes it
 * (templates/upsert_overload.sql.hbs); nothing is replaced. Down drops the
 * overload, then the attribute. Undefined when the API did not grow (or when
 * the functions are replaced anyway: replaceCode.ts's functionsObject).
 */
export function extendApi(
  ctx: OpContext,
  entity: Entity,
  oldShape: ApiShape,
  newShape: ApiShape,
  /** The file that created the functions that stay. */
  recordedFile: string,
): ChangeOp | undefined {
  const added = newShape.row.slice(oldShape.row.length);
  const moreOverloads = newShape.arities.length > oldShape.arities.length;
  if (added.length === 0 && !moreOverloads) return undefined;
  const key = entityKey(entity);
  const summary = `extend the row type of ${key} and add the upsert overload that takes its new columns (the functions stay: ${recordedFile})`;
  return {
    kind: 'extend_api',
    summary,
    wave: 'remote',
    destroys: [],
    validate: () => [],
    render: () => {
      const { newConfig, here } = ctx;
      const type = { schema: entity.schema, type: derivedNames(entity.name).row };
      const rowUp = added.length > 0 ? renderIn(ctx, newConfig, 'row_type', { ...type, add: added, drop: [] }).up : '';
      const rowDown =
        added.length > 0 ? renderIn(ctx, newConfig, 'row_type', { ...type, add: [], drop: added.map((a) => a.name).reverse() }).up : '';
      const fresh = moreOverloads
        ? ctx.render(newConfig, overloadBlock(newConfig, here, entity, newShape, oldShape.arities.length))
        : undefined;
      return [
        {
          target: ownFile(`functions_${entity.name}`, RANK.functions, 'listed'),
          blocks: [{ up: joinSql(rowUp, fresh?.up ?? ''), down: joinSql(fresh?.down ?? '', rowDown), template: 'functions' }],
          change: summary,
        },
      ];
    },
  };
}
