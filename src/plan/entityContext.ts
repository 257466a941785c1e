import { derivedNames } from '../config/derivedNames.js';
import type { Column, Config, Entity, Region } from '../config/types.js';
import { qualified } from '../sql/quote.js';
import { initialShape, type ApiShape } from './apiShape.js';

/**
 * What the entity templates (tables, foreign tables, functions) render for one
 * entity in one region. Pure.
 */
export function entityContext(config: Config, entity: Entity, here: Region, apiShape?: ApiShape) {
  const names = derivedNames(entity.name);
  const regionColumn: Column = { name: entity.regionColumn, type: 'text', notNull: true, default: undefined };
  const sorted = [...config.regions].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  // (native and routing mode differ only in the partials templates/<mode>/ holds)
  const regionTarget = (r: Region) => ({ name: r.name, isLocal: r.name === here.name });
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
  const position = (name: string) => params.findIndex((p) => p.name === name) + 1;
  return {
    ...entity,
    names,
    mirrorColumns: [entity.key, regionColumn, ...entity.mirrored],
    mirrorUpdateColumns: [regionColumn, ...entity.mirrored],
    detailColumns: [entity.key, regionColumn, ...entity.resident],
    rowColumns,
    // the key is never NULL by the time defaults apply, and its default may
    // need a search_path the functions do not have
    newRowColumns: rowColumns.map((c) => (c.name === entity.key.name ? { ...c, default: undefined } : c)),
    newDetailColumns: [{ ...entity.key, default: undefined }, regionColumn, ...entity.resident],
    params: params.map((p, index) => ({
      column: byName.get(p.name) ?? { name: p.name, type: p.type, notNull: false, default: undefined },
      position: index + 1,
      optional: p.optional,
      retired: p.retired,
    })),
    regionParamPosition: position(entity.regionColumn),
    regionsSorted: sorted.map(regionTarget),
    regionNamesQuoted: config.regions.map((r) => `"${r.name}"`).join(', '),
    rehomeName: `${qualified(entity.schema, names.rehome)}`,
    eraseName: `${qualified(entity.schema, names.erase)}`,
    rowParamPositions: rowColumns.map((column) => position(column.name)),
    regionNames: config.regions.map((r) => r.name),
  };
}
