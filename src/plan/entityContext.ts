import { derivedNames } from '../config/derivedNames.js';
import type { Column, Config, Entity, Region } from '../config/types.js';
import { qualified } from '../sql/quote.js';

/**
 * What the entity templates (tables, foreign tables, functions) render for one
 * entity in one region. Pure. Nothing in it depends on the other regions:
 * the functions read the fleet from the region registry at run time.
 */
export function entityContext(config: Config, entity: Entity, here: Region) {
  const names = derivedNames(entity.name);
  const regionColumn: Column = { name: entity.regionColumn, type: 'text', notNull: true, default: undefined };
  // Parameters of upsert_<entity>(key, resident..., region, mirrored...):
  // a trailing run of columns with defaults may be omitted by the caller.
  const params = [entity.key, ...entity.resident, regionColumn, ...entity.mirrored];
  let optionalFrom = params.length;
  while (optionalFrom > 0 && params[optionalFrom - 1]!.default !== undefined) optionalFrom -= 1;
  const rowColumns = [entity.key, regionColumn, ...entity.mirrored, ...entity.resident];
  return {
    ...entity,
    names,
    // the region these functions run in: its leaf is named in static SQL
    localRegion: here.name,
    mirrorColumns: [entity.key, regionColumn, ...entity.mirrored],
    mirrorUpdateColumns: [regionColumn, ...entity.mirrored],
    detailColumns: [entity.key, regionColumn, ...entity.resident],
    rowColumns: [entity.key, regionColumn, ...entity.mirrored, ...entity.resident],
    // the key is never NULL by the time defaults apply, and its default may
    // need a search_path the functions do not have
    newRowColumns: [{ ...entity.key, default: undefined }, regionColumn, ...entity.mirrored, ...entity.resident],
    newDetailColumns: [{ ...entity.key, default: undefined }, regionColumn, ...entity.resident],
    params: params.map((column, index) => ({ column, position: index + 1, optional: index >= optionalFrom })),
    regionParamPosition: entity.resident.length + 2,
    rehomeName: `${qualified(entity.schema, names.rehome)}`,
    rowParamPositions: [entity.key, regionColumn, ...entity.mirrored, ...entity.resident].map((column) => params.indexOf(column) + 1),
    // upsert_<entity>_many's checks of its JSON: the fields it takes, which
    // must be scalars or arrays, and which an update must give (absent and
    // null mean the same only for a column with a default)
    jsonFieldNames: rowColumns.map((c) => c.name),
    jsonFieldsQuoted: rowColumns.map((c) => `"${c.name}"`).join(', '),
    jsonScalarNames: rowColumns.filter((c) => jsonKind(c.type) === 'scalar').map((c) => c.name),
    jsonArrayNames: rowColumns.filter((c) => jsonKind(c.type) === 'array').map((c) => c.name),
    updateRequiredNames: [...entity.mirrored, ...entity.resident].filter((c) => c.default === undefined).map((c) => c.name),
  };
}

/**
 * What a JSON value for a column of this type may be in upsert_<entity>_many:
 * `json`/`jsonb` take anything, an array type a JSON array (or its text
 * form), every other type a scalar.
 * @example jsonKind('text[]') // 'array'
 */
export function jsonKind(type: string): 'any' | 'array' | 'scalar' {
  if (type.endsWith('[]')) return 'array';
  if (/^jsonb?$/i.test(type)) return 'any';
  return 'scalar';
}
