import { TEXT_TYPE, type SqlType } from '../config/columnGrammar.js';
import type { Entity } from '../config/types.js';
import { ResidencyError } from '../errors.js';

/**
 * One parameter of `upsert_<entity>(...)`. The list only grows: a column added
 * later becomes a trailing parameter with `DEFAULT NULL`, and a dropped
 * column's parameter stays, accepted and ignored, so that every call that
 * worked before a change still works after it (expand, then contract).
 */
export interface ApiParam {
  readonly name: string;
  readonly type: SqlType;
  /** `DEFAULT NULL`: callers may omit it (and every parameter after it). */
  readonly optional: boolean;
  /** The column is gone; the parameter is kept for old callers and ignored. */
  readonly retired: boolean;
  /**
   * The column it writes, when a step renamed that column (`renamed_from`):
   * a function's parameter keeps the name it was created with (PostgreSQL
   * cannot rename one in place), so callers by name keep working.
   */
  readonly column?: string;
}

/** The column a parameter writes. */
export function paramColumn(p: ApiParam): string {
  return p.column ?? p.name;
}

/** Columns renamed by a step: new name -> old name. */
export type Renames = ReadonlyMap<string, string>;

/** `schema.name`: how state.json keys an entity. */
export function entityKey(entity: Pick<Entity, 'schema' | 'name'>): string {
  return `${entity.schema}.${entity.name}`;
}

/**
 * The parameters of a new entity: (key, resident..., region, mirrored...), a
 * trailing run of columns with defaults optional. The seed's call works verbatim.
 */
export function initialParams(entity: Entity): ApiParam[] {
  const columns = [entity.key, ...entity.resident, { name: entity.regionColumn, type: TEXT_TYPE, default: undefined }, ...entity.mirrored];
  let optionalFrom = columns.length;
  while (optionalFrom > 0 && columns[optionalFrom - 1]!.default !== undefined) optionalFrom -= 1;
  return columns.map((c, i) => ({ name: c.name, type: c.type, optional: i >= optionalFrom, retired: false }));
}

/**
 * The parameters after a change of the entity's columns: new columns are
 * appended (optional), dropped ones retired, a column re-added with its old
 * type takes its old place again.
 */
export function evolveParams(previous: readonly ApiParam[], entity: Entity, renames: Renames = new Map()): ApiParam[] {
  const columns = new Map([entity.key, ...entity.resident, ...entity.mirrored].map((c) => [c.name, c] as const));
  const renamedTo = new Map([...renames].map(([to, from]) => [from, to]));
  const params = previous.map((p): ApiParam => {
    if (p.name === entity.regionColumn) return p;
    const name = renamedTo.get(paramColumn(p)) ?? paramColumn(p);
    const column = columns.get(name);
    const writes: ApiParam = {
      name: p.name,
      type: p.type,
      optional: p.optional,
      retired: p.retired,
      ...(name === p.name ? {} : { column: name }),
    };
    if (column === undefined) return { ...writes, retired: true };
    if (column.type !== p.type) {
      throw new ResidencyError(
        'CONFIG',
        `${entityKey(entity)}: column "${name}" has type ${column.type}, but ${entity.schema}.upsert_${entity.name} keeps a parameter "${p.name}" of type ${p.type} (from an earlier step) so that old callers keep working; give the column type ${p.type} or another name`,
      );
    }
    return { ...writes, retired: false };
  });
  for (const column of columns.values()) {
    if (params.some((p) => paramColumn(p) === column.name)) continue;
    const renamed = params.find((p) => p.name === column.name);
    if (renamed !== undefined)
      throw new ResidencyError(
        'CONFIG',
        `${entityKey(entity)}: column "${column.name}" was renamed to "${paramColumn(renamed)}" by an earlier step, and ${entity.schema}.upsert_${entity.name} keeps a parameter of that name for old callers; give the new column another name`,
      );
    params.push({ name: column.name, type: column.type, optional: true, retired: false });
  }
  return params;
}

/** One attribute of an entity's row type. Like the parameters, the list only grows; a dropped column's attribute is retired. */
export interface RowAttribute {
  readonly name: string;
  readonly type: SqlType;
  readonly retired: boolean;
}

/**
 * An entity's API as deployed: the parameters of its upsert function and the
 * attributes of its row type. Both only grow (ALTER TYPE ... ADD ATTRIBUTE,
 * a trailing parameter), so a call in flight during a change never meets a
 * value whose layout changed under it.
 */
export interface ApiShape {
  readonly params: readonly ApiParam[];
  /**
   * The arities of the overloads of `upsert_<entity>`, oldest first. A step
   * that appends parameters adds an overload (with no defaults past the
   * previous arity, so no call is ambiguous) and replaces the older ones in
   * place: a call in flight never meets a dropped function.
   */
  readonly arities: readonly number[];
  readonly row: readonly RowAttribute[];
}

function rowColumns(entity: Entity) {
  return [entity.key, { name: entity.regionColumn, type: TEXT_TYPE }, ...entity.mirrored, ...entity.resident];
}

/** The shape of a new entity: parameters (key, resident..., region, mirrored...), row (key, region, mirrored..., resident...). */
export function initialShape(entity: Entity): ApiShape {
  const params = initialParams(entity);
  return { params, arities: [params.length], row: rowColumns(entity).map((c) => ({ name: c.name, type: c.type, retired: false })) };
}

/** The shape after a change of the entity's columns. */
export function evolveShape(previous: ApiShape, entity: Entity, renames: Renames = new Map()): ApiShape {
  const columns = new Map(rowColumns(entity).map((c) => [c.name, c] as const));
  const renamedTo = new Map([...renames].map(([to, from]) => [from, to]));
  const row = previous.row.map((attribute) => {
    const renamed = renamedTo.get(attribute.name);
    const a = renamed === undefined ? attribute : { ...attribute, name: renamed };
    const column = columns.get(a.name);
    if (column === undefined) return { ...a, retired: true };
    if (column.type !== a.type) {
      throw new ResidencyError(
        'CONFIG',
        `${entityKey(entity)}: column "${a.name}" has type ${column.type}, but the row type ${entity.schema}.${entity.name}_row keeps an attribute "${a.name}" of type ${a.type} from an earlier step; give the column type ${a.type} or another name`,
      );
    }
    return { ...a, retired: false };
  });
  for (const c of columns.values()) if (!row.some((a) => a.name === c.name)) row.push({ name: c.name, type: c.type, retired: false });
  const params = evolveParams(previous.params, entity, renames);
  const arities = params.length > previous.params.length ? [...previous.arities, params.length] : previous.arities;
  return { params, arities, row };
}
