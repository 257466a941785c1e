import { REGISTRY_SCHEMA } from '../config/derivedNames.js';
import type { Config, Entity, Region } from '../config/types.js';
import { entityKey, type ApiShape } from './apiShape.js';
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
  /** Marks the block's up section in the file, so a later step can find what created an object (see markedSection). */
  readonly marker?: string;
  /** Marks its down section too: a later step that replaces the object runs what dropped it (runtime objects). */
  readonly markDown?: boolean;
}

export interface PlannedMigration {
  readonly slug: string;
  readonly phase: Phase;
  /** Up runs the blocks in order, down undoes them in the reverse order. */
  readonly blocks: readonly PlannedBlock[];
}

export interface PlanOptions {
  /** Each entity's API as deployed, by `schema.name` (a region joining a fleet takes the fleet's). */
  readonly shapes?: Readonly<Record<string, ApiShape>>;
  /** A region joining a fleet that holds data copies the directory from this region. */
  readonly backfillFrom?: string;
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
    appGroup: config.appGroup,
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

/**
 * The foreign tables of one entity in `here` that read `target`. They are the
 * same in every region of a mode, so their context holds no value of `here`
 * but its mode, and is one object for all of them: blockRenderer renders it
 * once per fleet, not once per region (in a 50-region fleet, 49 times fewer).
 */
export function foreignBlock(config: Config, here: Region, target: Region, entity: Config['entities'][number]): PlannedBlock {
  let byTarget = foreignContexts.get(entity);
  if (byTarget === undefined) foreignContexts.set(entity, (byTarget = new WeakMap()));
  let byMode = byTarget.get(target);
  if (byMode === undefined) byTarget.set(target, (byMode = new Map()));
  let context = byMode.get(here.mode);
  if (context === undefined) {
    const fleetWide = {
      registrySchema: REGISTRY_SCHEMA,
      mode: here.mode,
      link: config.link,
      timeouts: config.timeouts,
      appGroup: config.appGroup,
    };
    byMode.set(here.mode, (context = { ...fleetWide, target, entity: entityContext(config, entity, undefined) }));
  }
  return { template: 'foreign_tables', context };
}

const foreignContexts = new WeakMap<Entity, WeakMap<Region, Map<Region['mode'], object>>>();

/** The registry row that makes the functions of `here` route to `target`. */
export function regionRowBlock(config: Config, here: Region, target: Region): PlannedBlock {
  return { template: 'region_row', context: { ...baseContext(config, here), target, ordinal: ordinalOf(config, target.name) } };
}

/**
 * An entity's part of two-phase writes in one region (`apply_<entity>`): it
 * names no column but the key and the region, so it never changes with the
 * entity's columns; it runs in the local wave, before any region's functions
 * call it.
 */
export function applyBlock(config: Config, here: Region, entity: Entity): PlannedBlock {
  return {
    template: 'apply',
    context: { ...baseContext(config, here), entity: entityContext(config, entity, here) },
    marker: applyId(entity),
    markDown: true,
  };
}

/** The id under which state.json records an entity's apply function. */
export function applyId(entity: Pick<Entity, 'schema' | 'name'>): string {
  return `apply ${entityKey(entity)}`;
}

/**
 * pg-residency's runtime library in a region, as replaceable objects: the
 * functions of the registry template (bind_server) and of the two-phase
 * template (connect, wave, tx_*, claim, decide, resolve, ...), apart from the
 * tables, servers and extension those templates also create (`state`).
 * state.json records each by the hash of what rendered, so a new pg-residency
 * whose templates render them differently appends the step that replaces
 * them (ops/replaceCode.ts).
 */
export const RUNTIME_TEMPLATES = ['registry', 'two_phase'] as const;
export type RuntimeTemplate = (typeof RUNTIME_TEMPLATES)[number];

/** The id under which state.json records a runtime template's functions. */
export function runtimeId(template: RuntimeTemplate): string {
  return `runtime ${template}`;
}

/** A runtime template's tables and servers (`state`) or its functions (`code`, marked for later replacement). */
export function runtimeBlock(config: Config, here: Region, template: RuntimeTemplate, part: 'state' | 'code'): PlannedBlock {
  const context = {
    ...baseContext(config, here),
    ordinal: ordinalOf(config, here.name),
    state: part === 'state',
    code: part === 'code',
    // connect_failures opens these by connstr (dblink reads no sslcert from a user mapping), the others by server name
    linkCertRegions: config.regions.filter((r) => r.fdw.auth === 'cert').map((r) => r.name),
  };
  return part === 'state' ? { template, context } : { template, context, marker: runtimeId(template), markDown: true };
}

/** The id under which state.json records an entity's API (its types and functions). */
export function codeId(entity: Pick<Entity, 'schema' | 'name'>): string {
  return `functions ${entityKey(entity)}`;
}

/**
 * An entity's functions in one region. They are replaced (CREATE OR REPLACE)
 * when the entity's columns, the fleet or the templates change (ops/replaceCode.ts).
 */
export function codeBlock(config: Config, here: Region, entity: Entity, shape?: ApiShape): PlannedBlock {
  return {
    template: 'functions',
    context: { ...baseContext(config, here), entity: entityContext(config, entity, here, shape) },
    marker: codeId(entity),
  };
}

/**
 * Overloads of `upsert_<entity>` (all, or those from the `from`-th on): thin
 * wrappers of the column-agnostic write, each created once and never replaced
 * by a later step (a column added appends one; templates/upsert_overload.sql.hbs).
 */
export function overloadBlock(config: Config, here: Region, entity: Entity, shape?: ApiShape, from = 0): PlannedBlock {
  const context = entityContext(config, entity, here, shape);
  return {
    template: 'upsert_overload',
    context: { ...baseContext(config, here), entity: { ...context, overloads: context.overloads.slice(from) } },
  };
}

/**
 * The application roles' EXECUTE grants on an entity's API: their own block,
 * so a role added or removed replaces no function (templates/function_grants.sql.hbs).
 */
export function functionGrantsBlock(
  config: Config,
  here: Region,
  entity: Entity,
  roles: readonly string[],
  shape?: ApiShape,
  overloadGrants = false,
): PlannedBlock {
  return {
    template: 'function_grants',
    context: { ...baseContext(config, here), entity: entityContext(config, entity, here, shape), roles, overloadGrants },
  };
}

/**
 * The app group (created if missing, refused if pg-residency did not create
 * it) and the app roles made its members (templates/app_group.sql.hbs).
 */
export function appGroupBlock(config: Config, here: Region, members: readonly string[] = config.appRoles): PlannedBlock {
  return { template: 'app_group', context: { ...baseContext(config, here), managedComment: MANAGED_ROLE_COMMENT, members } };
}

/** The id under which state.json records the reads every entity's read functions call (issue 21). */
export const READS_ID = 'reads';

/**
 * The reads across regions, once per region (templates/reads.sql.hbs): the
 * entities' get_<e>_many, count_<e>_by_region and find_<e> call them. They are
 * replaced (CREATE OR REPLACE) when their template changes (ops/replaceCode.ts).
 */
export function readsBlock(config: Config, here: Region): PlannedBlock {
  return { template: 'reads', context: baseContext(config, here), marker: READS_ID };
}

/**
 * The migrations one region needs, in order, with the values each template
 * renders. Pure: no I/O.
 */
export function planRegion(config: Config, regionName: string, options: PlanOptions = {}): RegionPlan {
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
    {
      slug: 'registry',
      phase: 'local',
      blocks: [runtimeBlock(config, here, 'registry', 'state'), runtimeBlock(config, here, 'registry', 'code')],
    },
    {
      slug: 'link_role',
      phase: 'local',
      blocks: [
        {
          template: 'link_role',
          context: {
            ...base,
            grantSchemas: [...entitySchemas, here.name],
            managedComment: MANAGED_ROLE_COMMENT,
            logSettings: linkRoleLogSettings(here.postgres),
            // Before 15, every role may CREATE in public: take that away, as 15 does.
            revokePublicCreate: here.postgres < 15,
          },
        },
        appGroupBlock(config, here),
      ],
    },
    {
      slug: 'two_phase',
      phase: 'local',
      blocks: [runtimeBlock(config, here, 'two_phase', 'state'), runtimeBlock(config, here, 'two_phase', 'code')],
    },
  ];
  for (const entity of config.entities) {
    const context = { ...base, entity: entityContext(config, entity, here, options.shapes?.[entityKey(entity)]) };
    migrations.push({
      slug: `entity_${entity.name}`,
      phase: 'local',
      blocks: [{ template: 'entity', context }, { template: 'entity_types', context }, applyBlock(config, here, entity)],
    });
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
  // before the functions, whose read functions call them
  migrations.push({ slug: 'reads', phase: 'remote', blocks: [readsBlock(config, here)] });
  for (const entity of config.entities) {
    migrations.push({
      slug: `functions_${entity.name}`,
      phase: 'remote',
      blocks: [
        codeBlock(config, here, entity, options.shapes?.[entityKey(entity)]),
        overloadBlock(config, here, entity, options.shapes?.[entityKey(entity)]),
        functionGrantsBlock(config, here, entity, [config.appGroup], options.shapes?.[entityKey(entity)]),
      ],
    });
  }
  if (options.backfillFrom !== undefined) {
    migrations.push(
      one('backfill', 'backfill', 'backfill', {
        source: options.backfillFrom,
        entities: config.entities.map((entity) => entityContext(config, entity, here)),
      }),
    );
  }
  return { region: here.name, migrations };
}
