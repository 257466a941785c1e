import { derivedNames } from '../config/derivedNames.js';
import { TEXT_TYPE } from '../config/columnGrammar.js';
import type { Column, Config, Entity, Region } from '../config/types.js';
import { qualified } from '../sql/quote.js';
import { initialShape, paramColumn, type ApiParam, type ApiShape } from './apiShape.js';

/**
 * What the entity templates (tables, foreign tables, functions) render for one
 * entity in one region (or, without `here`, in any region). Pure. Nothing in
 * it depends on the other regions: the functions read the fleet from the
 * region registry at run time.
 */
export function entityContext(config: Config, entity: Entity, here: Region | undefined, apiShape?: ApiShape): EntityContext {
  // Built once per entity, region and API shape: the same object for every
  // block that renders it (and blockRenderer renders a block's template once
  // per context object and mode).
  let byRegion = contexts.get(entity);
  if (byRegion === undefined) contexts.set(entity, (byRegion = new WeakMap()));
  let byShape = byRegion.get(here ?? NO_REGION);
  if (byShape === undefined) byRegion.set(here ?? NO_REGION, (byShape = new Map()));
  let context = byShape.get(apiShape ?? NO_SHAPE);
  if (context === undefined) byShape.set(apiShape ?? NO_SHAPE, (context = buildEntityContext(config, entity, here, apiShape)));
  return context;
}

const NO_SHAPE = {};
const NO_REGION = {};
const contexts = new WeakMap<Entity, WeakMap<object, Map<object, EntityContext>>>();

export type EntityContext = ReturnType<typeof buildEntityContext>;

function buildEntityContext(_config: Config, entity: Entity, here: Region | undefined, apiShape?: ApiShape) {
  const names = derivedNames(entity.name);
  const regionColumn: Column = { name: entity.regionColumn, type: TEXT_TYPE, notNull: true, default: undefined };
  // Parameters of upsert_<entity>: (key, resident..., region, mirrored...)
  // for a new entity, then whatever later steps appended (see apiShape.ts).
  const byName = new Map([entity.key, regionColumn, ...entity.resident, ...entity.mirrored].map((c) => [c.name, c] as const));
  const shape = apiShape ?? initialShape(entity);
  const params = shape.params;
  const residentNames = new Set(entity.resident.map((c) => c.name));
  // the row type's attributes in the deployed order; a retired one is always NULL
  const rowColumns = shape.row.map((a) => ({
    ...(byName.get(a.name) ?? { name: a.name, type: a.type, notNull: false, default: undefined }),
    resident: residentNames.has(a.name),
    retired: a.retired,
  }));
  const position = (name: string) => params.findIndex((p) => paramColumn(p) === name) + 1;
  // a parameter keeps the name it was created with; a renamed column's is its old name
  const paramColumnOf = (p: ApiParam): Column => {
    const column = byName.get(paramColumn(p)) ?? { name: p.name, type: p.type, notNull: false, default: undefined };
    return column.name === p.name ? column : { ...column, name: p.name };
  };
  return {
    ...entity,
    names,
    // the region these functions run in: its leaf is named in static SQL
    // (undefined in a context shared by every region, see foreignBlock)
    localRegion: here?.name,
    mirrorColumns: [entity.key, regionColumn, ...entity.mirrored],
    mirrorUpdateColumns: [regionColumn, ...entity.mirrored],
    detailColumns: [entity.key, regionColumn, ...entity.resident],
    rowColumns,
    // the key is never NULL by the time defaults apply, and its default may
    // need a search_path the functions do not have
    newRowColumns: rowColumns.map((c) => (c.name === entity.key.name ? { ...c, default: undefined } : c)),
    newDetailColumns: [{ ...entity.key, default: undefined }, regionColumn, ...entity.resident],
    params: params.map((p, index) => ({
      column: paramColumnOf(p),
      position: index + 1,
      optional: p.optional,
      retired: p.retired,
    })),
    regionParamPosition: position(entity.regionColumn),
    rehomeName: `${qualified(entity.schema, names.rehome)}`,
    eraseName: `${qualified(entity.schema, names.erase)}`,
    applyName: qualified(entity.schema, names.apply),
    tableName: qualified(entity.schema, entity.name),
    detailsName: qualified(entity.schema, names.details),
    residentNames: entity.resident.map((c) => c.name),
    // a NULL for one of these keeps the owner's stored value
    residentDefaultNames: entity.resident.filter((c) => c.default !== undefined).map((c) => c.name),
    rowParamPositions: rowColumns.map((column) => position(column.name)),
    // one upsert_<entity> per arity: the first keeps its trailing defaults,
    // a later one takes every parameter (a shorter call is the older one's)
    overloads: shape.arities
      .map((arity, i) => ({
        params: params.slice(0, arity).map((p, index) => ({
          column: paramColumnOf(p),
          position: index + 1,
          optional: i === 0 && p.optional,
        })),
        // the row's fields this overload sets, by name (not by position: see templates/functions/upsert.sql.hbs)
        rowFields: rowColumns.flatMap((column) => {
          const at = position(column.name);
          return at > 0 && at <= arity && !column.retired ? [{ name: column.name, position: at }] : [];
        }),
      }))
      .map((o) => ({ ...o, rowFieldChunks: chunks(o.rowFields, 50) })),
    // upsert_<entity>_many's checks of its JSON: the fields it takes, which
    // must be scalars or arrays, and which an update must give (absent and
    // null mean the same only for a column with a default)
    jsonFieldNames: rowColumns.map((c) => c.name),
    // fields renamed by a step (renamed_from): JSON with the old name still
    // works, mapped to the new one, for callers of the previous version
    renamedFields: params.filter((p) => p.column !== undefined && !p.retired).map((p) => ({ from: p.name, to: p.column! })),
    // columns renamed by a step (renamed_from still in regions.yaml): while the
    // step rolls out, regions disagree on the name, so a write sends both names
    // and apply takes the old one for the new (templates/apply.sql.hbs)
    windowRenames: [...entity.mirrored, ...entity.resident]
      .filter((c) => c.renamedFrom !== undefined)
      .map((c) => ({ from: c.renamedFrom!, to: c.name })),
    jsonFieldsQuoted: rowColumns.map((c) => `"${c.name}"`).join(', '),
    jsonScalarNames: rowColumns.filter((c) => jsonKind(c.type) === 'scalar').map((c) => c.name),
    jsonArrayNames: rowColumns.filter((c) => jsonKind(c.type) === 'array').map((c) => c.name),
    // the reads' filters (templates/functions/read_filter.sql.hbs): the scalar
    // columns of the directory (any region may filter on them) and the
    // personal ones (only an owner may, and only counts leave it)
    filterMirrorNames: [entity.key, regionColumn, ...entity.mirrored].filter((c) => jsonKind(c.type) === 'scalar').map((c) => c.name),
    filterResidentNames: entity.resident.filter((c) => jsonKind(c.type) === 'scalar').map((c) => c.name),
    updateRequiredNames: [...entity.mirrored, ...entity.resident].filter((c) => c.default === undefined).map((c) => c.name),
  };
}

/** The list in runs of at most `size` (jsonb_build_object takes at most 100 arguments: 50 fields). */
function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
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
