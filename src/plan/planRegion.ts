import { REGISTRY_SCHEMA } from '../config/derivedNames.js';
import type { Config, Region } from '../config/types.js';
import { unknownRegion } from '../errors.js';
import type { Phase } from '../format/migrationFile.js';
import { entityContext } from './entityContext.js';
import { fdwServerOptions } from './fdwServerOptions.js';
import { linkRoleLogSettings, MANAGED_ROLE_COMMENT } from './linkRoleSettings.js';

/** One template rendered with its values; a file is made of one or more. */
export interface PlannedBlock {
  /** Template path below templates/, without the .sql.hbs suffix. */
  readonly template: string;
  readonly context: object;
}

export interface PlannedMigration {
  readonly slug: string;
  readonly phase: Phase;
  /** Up runs the blocks in order, down undoes them in the reverse order. */
  readonly blocks: readonly PlannedBlock[];
}

export interface RegionPlan {
  readonly region: string;
  readonly migrations: readonly PlannedMigration[];
}

/** The values every template of a region sees. */
export function baseContext(config: Config, here: Region) {
  return {
    registrySchema: REGISTRY_SCHEMA,
    region: here,
    mode: here.mode,
    link: config.link,
    timeouts: config.timeouts,
    appRoles: config.appRoles,
  };
}

/** A region's position in regions.yaml, from 1: the registry keeps it for messages. */
export function ordinalOf(config: Config, region: string): number {
  return config.regions.findIndex((r) => r.name === region) + 1;
}

/** How `here` reaches `target`: its server and user mapping. */
export function serverBlock(config: Config, here: Region, target: Region): PlannedBlock {
  return {
    template: 'server',
    context: { ...baseContext(config, here), target, fdwOptions: config.fdwOptions, supports: fdwServerOptions(here.postgres) },
  };
}

/** The foreign tables of one entity in `here` that read `target`. */
export function foreignBlock(config: Config, here: Region, target: Region, entity: Config['entities'][number]): PlannedBlock {
  return { template: 'foreign_tables', context: { ...baseContext(config, here), target, entity: entityContext(config, entity, here) } };
}

/** The registry row that makes the functions of `here` route to `target`. */
export function regionRowBlock(config: Config, here: Region, target: Region): PlannedBlock {
  return { template: 'region_row', context: { ...baseContext(config, here), target, ordinal: ordinalOf(config, target.name) } };
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
  const base = baseContext(config, here);
  const one = (slug: string, phase: Phase, template: string, context: object): PlannedMigration => ({
    slug,
    phase,
    blocks: [{ template, context: { ...base, ...context } }],
  });
  const migrations: PlannedMigration[] = [
    one('extensions', 'local', 'extensions', { extensions: config.extensions, extensionsReversed: [...config.extensions].reverse() }),
    one('schemas', 'local', 'schemas', {
      schemas: [...entitySchemas, ...config.regions.map((r) => r.name)].filter((s) => s !== 'public'),
    }),
    one('registry', 'local', 'registry', { ordinal: ordinalOf(config, here.name) }),
    one('link_role', 'local', 'link_role', {
      grantSchemas: [...entitySchemas, here.name],
      managedComment: MANAGED_ROLE_COMMENT,
      logSettings: linkRoleLogSettings(here.postgres),
      // Before 15, every role may CREATE in public: take that away, as 15 does.
      revokePublicCreate: here.postgres < 15,
    }),
  ];
  for (const entity of config.entities) {
    migrations.push(one(`entity_${entity.name}`, 'local', 'entity', { entity: entityContext(config, entity, here) }));
  }
  // Everything this region needs to reach one other region, in one file.
  for (const target of others) {
    migrations.push({
      slug: `region_${target.name}`,
      phase: 'remote',
      blocks: [
        serverBlock(config, here, target),
        ...config.entities.map((entity) => foreignBlock(config, here, target, entity)),
        regionRowBlock(config, here, target),
      ],
    });
  }
  for (const entity of config.entities) {
    migrations.push(one(`functions_${entity.name}`, 'remote', 'functions', { entity: entityContext(config, entity, here) }));
  }
  return { region: here.name, migrations };
}
