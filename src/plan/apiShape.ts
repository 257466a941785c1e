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
}

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
export function evolveParams(previous: readonly ApiParam[], entity: Entity): ApiParam[] {
  const columns = new Map([entity.key, ...entity.resident, ...entity.mirrored].map((c) => [c.name, c] as const));
  const params = previous.map((p) => {
    if (p.name === entity.regionColumn) return p;
    const column = columns.get(p.name);
    if (column === undefined) return { ...p, retired: true };
    if (column.type !== p.type) {
      throw new ResidencyError(
        'CONFIG',
        `${entityKey(entity)}: column "${p.name}" has type ${column.type}, but ${entity.schema}.upsert_${entity.name} keeps a parameter "${p.name}" of type ${p.type} (from an earlier step) so that old callers keep working; give the column type ${p.type} or another name`,
      );
    }
    return { ...p, retired: false };
  });
  for (const column of columns.values()) {
    if (!params.some((p) => p.name === column.name)) params.push({ name: column.name, type: column.type, optional: true, retired: false });
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
export function evolveShape(previous: ApiShape, entity: Entity): ApiShape {
  const columns = new Map(rowColumns(entity).map((c) => [c.name, c] as const));
  const row = previous.row.map((a) => {
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
  const params = evolveParams(previous.params, entity);
  const arities = params.length > previous.params.length ? [...previous.arities, params.length] : previous.arities;
  return { params, arities, row };
}
