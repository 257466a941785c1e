import { derivedNames } from '../config/derivedNames.js';
import type { Column, Config, Entity, Region } from '../config/types.js';
import { unknownRegion } from '../errors.js';
import { qualified } from '../sql/quote.js';
import { fdwServerOptions } from './fdwServerOptions.js';

/**
 * `local` migrations create only objects of the region itself; `remote` ones
 * point at other regions. `migrate --all` applies every region's local wave
 * before any remote wave, so no foreign table points at a missing object.
 */
export type Phase = 'local' | 'remote';

export interface PlannedMigration {
  readonly slug: string;
  /** Template path below templates/, without the .sql.hbs suffix. */
  readonly template: string;
  readonly phase: Phase;
  readonly context: object;
}

export interface RegionPlan {
  readonly region: string;
  readonly migrations: readonly PlannedMigration[];
}

function entityContext(config: Config, entity: Entity, here: Region) {
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

/**
 * The migrations one region needs, in order, with the values each template
 * renders. Pure: no I/O.
 */
export function planRegion(config: Config, regionName: string): RegionPlan {
  const here = config.regions.find((r) => r.name === regionName);
  if (here === undefined)
    throw unknownRegion(
      regionName,
      config.regions.map((r) => r.name),
    );
  const others = config.regions.filter((r) => r.name !== here.name);
  const entitySchemas = [...new Set(config.entities.map((e) => e.schema))].sort();
  const base = { region: here, mode: here.mode, link: config.link, timeouts: config.timeouts, appRoles: config.appRoles };
  const migrations: PlannedMigration[] = [
    {
      slug: 'extensions',
      template: 'extensions',
      phase: 'local',
      context: { ...base, extensions: config.extensions, extensionsReversed: [...config.extensions].reverse() },
    },
    {
      slug: 'schemas',
      template: 'schemas',
      phase: 'local',
      context: { ...base, schemas: [...entitySchemas, ...config.regions.map((r) => r.name)].filter((s) => s !== 'public') },
    },
    { slug: 'link_role', template: 'link_role', phase: 'local', context: { ...base, grantSchemas: [...entitySchemas, here.name] } },
  ];
  for (const entity of config.entities) {
    migrations.push({
      slug: `entity_${entity.name}`,
      template: 'entity',
      phase: 'local',
      context: { ...base, entity: entityContext(config, entity, here) },
    });
  }
  for (const target of others) {
    migrations.push({
      slug: `server_${target.name}`,
      template: 'server',
      phase: 'remote',
      context: { ...base, target, fdwOptions: config.fdwOptions, supports: fdwServerOptions(here.postgres) },
    });
  }
  for (const entity of config.entities) {
    for (const target of others) {
      migrations.push({
        slug: `foreign_${entity.name}_${target.name}`,
        template: 'foreign_tables',
        phase: 'remote',
        context: { ...base, target, entity: entityContext(config, entity, here) },
      });
    }
  }
  for (const entity of config.entities) {
    migrations.push({
      slug: `functions_${entity.name}`,
      template: 'functions',
      phase: 'remote',
      context: { ...base, entity: entityContext(config, entity, here) },
    });
  }
  return { region: here.name, migrations };
}
