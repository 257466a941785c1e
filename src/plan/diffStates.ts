import { entityKey, evolveShape, initialShape, type ApiShape } from './apiShape.js';
import { codeId } from './planRegion.js';
import type { ChangeOp, OpContext } from './ops/changeOp.js';
import { addColumn } from './ops/addColumn.js';
import { addEntity } from './ops/addEntity.js';
import { addRegion } from './ops/addRegion.js';
import { alterColumn, columnChanged } from './ops/alterColumn.js';
import { adoptAppGroup } from './ops/appGroup.js';
import { grantAppRoles, revokeAppRoles } from './ops/appRoles.js';
import { dropColumn } from './ops/dropColumn.js';
import { dropEntity } from './ops/dropEntity.js';
import { extendApi } from './ops/extendApi.js';
import { addExtensions, dropExtensions } from './ops/extensions.js';
import { changeLinkTimeouts } from './ops/linkTimeouts.js';
import { removeRegion } from './ops/removeRegion.js';
import { renameColumn, renamesOf } from './ops/renameColumn.js';
import { deployedShape, functionsObject, readsObject, replaceCode, runtimeObjects } from './ops/replaceCode.js';
import { addSchemas, dropSchemas, schemasOf } from './ops/schemas.js';
import { changeServerOptions, serverOptionsOf } from './ops/serverOptions.js';
import { unsupported } from './ops/unsupported.js';
import { upgradeTwoPhase } from './ops/upgradeTwoPhase.js';

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The changes between two desired states, in the order their blocks run, and each entity's API after them. */
export interface StateDiff {
  readonly ops: readonly ChangeOp[];
  readonly shapes: Record<string, ApiShape>;
}

/**
 * The typed changes that bring one region from `ctx.from` to `ctx.to` (see
 * src/plan/ops/): what is added before what uses it, what is dropped after
 * what used it. Pure: nothing is rendered until an op's render() is called.
 */
export function diffStates(ctx: Omit<OpContext, 'newShapes'>): StateDiff {
  const { from, to } = ctx;
  const shapes: Record<string, ApiShape> = { ...ctx.shapes };
  const full: OpContext = { ...ctx, newShapes: shapes };
  const ops: ChangeOp[] = [];
  const push = (op: ChangeOp | undefined) => {
    if (op !== undefined) ops.push(op);
  };

  if (!same(from.link, to.link))
    push(unsupported('change_link', 'link: changing the link role or its password variable is not supported by gen-migrations'));

  const addedExtensions = to.extensions.filter((e) => !from.extensions.includes(e));
  const droppedExtensions = from.extensions.filter((e) => !to.extensions.includes(e));
  if (addedExtensions.length > 0) push(addExtensions(full, addedExtensions));
  if (droppedExtensions.length > 0) push(dropExtensions(full, droppedExtensions));

  const addedSchemas = schemasOf(to).filter((s) => !schemasOf(from).includes(s));
  const droppedSchemas = schemasOf(from).filter((s) => !schemasOf(to).includes(s));
  const addedEntitySchemas = [...new Set(to.entities.map((e) => e.schema))].filter((x) => !from.entities.some((e) => e.schema === x));
  if (addedSchemas.length > 0) push(addSchemas(full, addedSchemas, addedEntitySchemas));
  if (!same(from.timeouts, to.timeouts)) push(changeLinkTimeouts(full));

  const oldEntities = new Map(from.entities.map((e) => [entityKey(e), e]));
  const newEntities = new Map(to.entities.map((e) => [entityKey(e), e]));
  for (const [key, entity] of newEntities) {
    if (oldEntities.has(key)) continue;
    push(addEntity(full, entity));
    shapes[key] = initialShape(entity);
  }
  for (const [key, entity] of oldEntities) {
    if (newEntities.has(key)) continue;
    push(dropEntity(full, entity));
    delete shapes[key];
  }
  const kept = to.entities.filter((e) => oldEntities.has(entityKey(e)));
  if (!ctx.twoPhase) push(upgradeTwoPhase(full, kept));

  for (const entity of kept) {
    const key = entityKey(entity);
    const old = oldEntities.get(key)!;
    if (!same(old.key, entity.key) || old.regionColumn !== entity.regionColumn) {
      push(
        unsupported(
          'change_key',
          `${key}: changing the key or the region column of an entity is not supported; add a new entity and move the rows`,
        ),
      );
      continue;
    }
    const renames = renamesOf(old, entity);
    for (const list of ['mirrored', 'resident'] as const) {
      const otherList = list === 'mirrored' ? 'resident' : 'mirrored';
      const before = new Map(old[list].map((c) => [c.name, c]));
      for (const column of entity[list]) {
        const rename = renames.get(column.name);
        if (rename !== undefined) {
          push(renameColumn(full, entity, list, rename.from, column, old));
          continue;
        }
        const was = before.get(column.name);
        if (was === undefined) push(addColumn(full, entity, list, column, old));
        else if (columnChanged(was, column)) push(alterColumn(full, entity, list, was, column));
      }
      for (const [name, column] of before) {
        const renamedAway = [...renames.values()].some((r) => r.from.name === name);
        if (entity[list].some((c) => c.name === name) || entity[otherList].some((c) => c.name === name) || renamedAway) continue;
        push(dropColumn(full, entity, list, column));
      }
    }
    // a refused rename (renameColumn's validate) leaves the API as a drop and an add would
    const valid = [...renames].filter(
      ([to, r]) => old[r.list].some((c) => c.name === r.from.name) && r.from.type === entity[r.list].find((c) => c.name === to)?.type,
    );
    shapes[key] = evolveShape(deployedShape(full, old), entity, new Map(valid.map(([to, r]) => [to, r.from.name])));
  }

  // the app roles are members of the app group, which holds the grants (ops/appGroup.ts)
  if (from.appGroup === undefined) push(adoptAppGroup(full, kept));
  else if (from.appGroup !== to.appGroup)
    push(
      unsupported(
        'change_app_group',
        `app_group: changing the app group ("${from.appGroup}" to "${to.appGroup}") is not supported by gen-migrations; keep "${from.appGroup}"`,
      ),
    );
  else {
    const addedRoles = to.appRoles.filter((r) => !from.appRoles.includes(r));
    const droppedRoles = from.appRoles.filter((r) => !to.appRoles.includes(r));
    if (addedRoles.length > 0) push(grantAppRoles(full, addedRoles));
    if (droppedRoles.length > 0) push(revokeAppRoles(full, droppedRoles));
  }

  const others = ctx.others;
  for (const target of others) if (!ctx.othersBefore.some((o) => o.name === target.name)) push(addRegion(full, target));
  for (const target of ctx.othersBefore) if (!others.some((o) => o.name === target.name)) push(removeRegion(full, target));

  const optionsBefore = serverOptionsOf(ctx.oldConfig, ctx.hereBefore);
  const optionsAfter = serverOptionsOf(ctx.newConfig, ctx.here);
  if (!same([...optionsBefore], [...optionsAfter]) && ctx.keptOthers.length > 0)
    push(changeServerOptions(full, optionsBefore, optionsAfter));

  const keptConfig = ctx.newConfig.entities.filter((e) => oldEntities.has(entityKey(e)));
  for (const object of runtimeObjects(full, keptConfig)) push(replaceCode(full, object));
  push(replaceCode(full, readsObject(full)));
  for (const entity of ctx.newConfig.entities) {
    const key = entityKey(entity);
    const old = oldEntities.get(key);
    const oldShape = old === undefined ? undefined : deployedShape(full, old);
    const replaced = replaceCode(full, functionsObject(full, entity, oldShape, shapes[key]!));
    const recorded = full.code[codeId(entity)];
    // the functions stay (they name no column): a column added only extends the row type and the overloads
    if (replaced === undefined && oldShape !== undefined && recorded !== undefined)
      push(extendApi(full, entity, oldShape, shapes[key]!, recorded.file));
    else push(replaced);
  }
  if (droppedSchemas.length > 0) push(dropSchemas(full, droppedSchemas));
  return { ops, shapes };
}
