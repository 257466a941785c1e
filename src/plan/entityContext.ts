import { derivedNames } from '../config/derivedNames.js';
import type { Column, Config, Entity, Region } from '../config/types.js';
import { qualified } from '../sql/quote.js';

/**
 * What the entity templates (tables, foreign tables, functions) render for one
 * entity in one region. Pure.
 */
export function entityContext(config: Config, entity: Entity, here: Region) {
  const names = derivedNames(entity.name);
  const regionColumn: Column = { name: entity.regionColumn, type: 'text', notNull: true, default: undefined };
  const sorted = [...config.regions].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  // (native and routing mode differ only in the partials templates/<mode>/ holds)
  const regionTarget = (r: Region) => ({ name: r.name, isLocal: r.name === here.name });
  // Parameters of upsert_<entity>(key, resident..., region, mirrored...):
  // a trailing run of columns with defaults may be omitted by the caller.
  const params = [entity.key, ...entity.resident, regionColumn, ...entity.mirrored];
  let optionalFrom = params.length;
  while (optionalFrom > 0 && params[optionalFrom - 1]!.default !== undefined) optionalFrom -= 1;
  return {
    ...entity,
    names,
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
    regionsSorted: sorted.map(regionTarget),
    regionNamesQuoted: config.regions.map((r) => `"${r.name}"`).join(', '),
    rehomeName: `${qualified(entity.schema, names.rehome)}`,
    rowParamPositions: [entity.key, regionColumn, ...entity.mirrored, ...entity.resident].map((column) => params.indexOf(column) + 1),
    regionNames: config.regions.map((r) => r.name),
  };
}
