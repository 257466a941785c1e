import type { Config, Entity, Region } from '../config/types.js';
import type { Phase } from '../format/migrationFile.js';
import { markedSection } from '../format/migrationSection.js';
import { ResidencyError } from '../errors.js';
import { derivedNames } from '../config/derivedNames.js';
import { entityKey, evolveShape, initialShape, type ApiShape } from './apiShape.js';
import { entityContext } from './entityContext.js';
import { qualified } from '../sql/quote.js';
import { fdwServerOptions } from './fdwServerOptions.js';
import { fleetConfig, type FleetState } from './fleetState.js';
import {
  applyBlock,
  baseContext,
  codeBlock,
  codeId,
  foreignBlock,
  functionGrantsBlock,
  overloadBlock,
  READS_ID,
  readsBlock,
  regionRowBlock,
  runtimeBlock,
  serverBlock,
  type PlannedBlock,
} from './planRegion.js';
import { planRuntime } from './planRuntime.js';
import { defaultFill } from './defaultFill.js';

/** A block ready to compose: rendered from a template, or taken from a file already generated. */
export interface StepBlock {
  readonly up: string;
  readonly down: string;
  readonly template: string;
}

/** One file of a step. */
export interface StepFile {
  readonly slug: string;
  readonly phase: Phase;
  readonly blocks: readonly StepBlock[];
  /** What the file changes, for its header. */
  readonly changes: readonly string[];
  /** What it destroys; non-empty only with allowDestructive. */
  readonly destructive: readonly string[];
  /** The code objects (`functions schema.name`, `runtime two_phase`, ...) this file creates, each with its hash. */
  readonly creates?: readonly { readonly id: string; readonly sha256: string }[];
}

/** What a step planner may read: files already generated, and how to render a block. */
export interface DeltaInput {
  readonly region: string;
  readonly from: FleetState;
  readonly to: FleetState;
  readonly shapes: Readonly<Record<string, ApiShape>>;
  readonly code: Readonly<Record<string, { readonly file: string; readonly sha256: string }>>;
  /** The names of the files already generated for this region, in order. */
  readonly files: readonly string[];
  /** The text of a file already generated for this region. */
  readonly readFile: (name: string) => string;
  /** Renders a block for the region (in the mode the given config gives it). */
  readonly render: (config: Config, block: PlannedBlock) => StepBlock;
  /** The sha256 of an entity's rendered code blocks. */
  readonly codeHash: (blocks: readonly StepBlock[]) => string;
  readonly allowDestructive: boolean;
  /**
   * Whether the region's recorded history already writes through dblink
   * two-phase commit (state.json `writes: "two_phase"`). A history generated
   * before it gets the upgrade appended: dblink, the loopback server, the
   * commit records, the apply functions, and the retired foreign directory and
   * write tables dropped once the functions no longer use them.
   */
  readonly twoPhase: boolean;
  /**
   * When the step is generated (ISO 8601), the same for every region: existing
   * rows of a column added with a default like now() get this time (defaultFill.ts).
   */
  readonly generatedAt?: string;
}

export interface DeltaPlan {
  readonly files: readonly StepFile[];
  readonly shapes: Record<string, ApiShape>;
  /** Problems that refuse the change as a whole (destructive without --allow-destructive, unsupported changes). */
  readonly refused: readonly string[];
}

function inverse(block: StepBlock): StepBlock {
  return { up: block.down, down: block.up, template: block.template };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const q = (name: string) => JSON.stringify(name);

/** The postgres_fdw options a region's servers carry, by name (connection options are bound at migrate time). */
function serverOptions(config: Config, here: Region): Map<string, string> {
  const supports = fdwServerOptions(here.postgres);
  const options = new Map<string, string>();
  if (supports.asyncCapable) options.set('async_capable', 'true');
  if (supports.batchSize) options.set('batch_size', String(config.fdwOptions.batchSize));
  if (supports.keepConnections) options.set('keep_connections', 'on');
  if (supports.parallelCommit) options.set('parallel_commit', 'true');
  if (supports.parallelAbort) options.set('parallel_abort', 'true');
  options.set('fetch_size', String(config.fdwOptions.fetchSize));
  return options;
}

function optionDiff(from: Map<string, string>, to: Map<string, string>) {
  const entries = (list: [string, string][]) => list.map(([name, value]) => ({ name, value }));
  return {
    add: entries([...to].filter(([k]) => !from.has(k))),
    set: entries([...to].filter(([k, v]) => from.has(k) && from.get(k) !== v)),
    drop: entries([...from].filter(([k]) => !to.has(k))),
  };
}

/**
 * The files that bring one region from the state `from` to the state `to`,
 * in the order they run: expand (owners' tables; then servers, foreign tables
 * and functions), then contract (what reads other regions; then owners'
 * tables). `migrate up --all` runs each phase in every region before the next,
 * so no query ever meets a foreign table whose owner lacks a column.
 */
export function planDelta(input: DeltaInput): DeltaPlan {
  const { from, to, region: regionName } = input;
  const oldConfig = fleetConfig(from);
  const newConfig = fleetConfig(to);
  const here = newConfig.regions.find((r) => r.name === regionName)!;
  const hereBefore = oldConfig.regions.find((r) => r.name === regionName)!;
  const render = (config: Config, template: string, context: object): StepBlock =>
    input.render(config, { template, context: { ...baseContext(config, config === oldConfig ? hereBefore : here), ...context } });
  const refused: string[] = [];
  const generatedAt = input.generatedAt ?? new Date().toISOString();
  const destroy = (what: string) => {
    if (!input.allowDestructive) refused.push(`${what} (destructive: generate with --allow-destructive)`);
    return what;
  };

  const expandLocal: StepBlock[] = [];
  const expandLocalChanges: string[] = [];
  const contractLocal: StepBlock[] = [];
  const contractLocalChanges: string[] = [];
  const contractLocalDestroys: string[] = [];
  const remoteFiles: StepFile[] = [];
  const contractRemote: StepBlock[] = [];
  const contractRemoteChanges: string[] = [];
  const contractRemoteDestroys: string[] = [];
  const shapes: Record<string, ApiShape> = { ...input.shapes };

  const expandLocalCreates: { id: string; sha256: string }[] = [];
  /**
   * A default like now() given in this step: the local wave sets the time the
   * step was generated, the remote wave (every region has the column then) the
   * expression itself (templates/column_default.sql.hbs), by entity.
   */
  const laterDefaults = new Map<string, StepBlock[]>();
  const deferDefault = (key: string, context: object) =>
    laterDefaults.set(key, [...(laterDefaults.get(key) ?? []), render(newConfig, 'column_default', context)]);
  /** A block rendered for the expand file; a marked one (runtime code) is recorded as created there. */
  const expand = (block: PlannedBlock) => {
    const rendered = input.render(newConfig, block);
    if (block.marker !== undefined) expandLocalCreates.push({ id: block.marker, sha256: input.codeHash([rendered]) });
    return rendered;
  };

  // the upgrade to two-phase writes: dblink, loopback, commit records and resolver first
  if (!input.twoPhase) {
    expandLocal.push(
      expand(runtimeBlock(newConfig, here, 'two_phase', 'state')),
      expand(runtimeBlock(newConfig, here, 'two_phase', 'code')),
    );
    expandLocalChanges.push('two-phase writes through dblink: the dblink schema, the loopback server, commit records, the resolver');
  }

  if (!same(from.link, to.link)) refused.push('link: changing the link role or its password variable is not supported by gen-migrations');

  // extensions
  const addedExtensions = to.extensions.filter((e) => !from.extensions.includes(e));
  const droppedExtensions = from.extensions.filter((e) => !to.extensions.includes(e));
  if (addedExtensions.length > 0) {
    expandLocal.push(render(newConfig, 'extensions', { extensions: addedExtensions, extensionsReversed: [...addedExtensions].reverse() }));
    expandLocalChanges.push(`add extension ${addedExtensions.map(q).join(', ')}`);
  }
  if (droppedExtensions.length > 0) {
    contractLocal.push(
      inverse(render(oldConfig, 'extensions', { extensions: droppedExtensions, extensionsReversed: [...droppedExtensions].reverse() })),
    );
    contractLocalChanges.push(`drop extension ${droppedExtensions.map(q).join(', ')}`);
  }

  // schemas: entity schemas and one per region
  const schemasOf = (s: FleetState) =>
    [...new Set([...s.entities.map((e) => e.schema), ...s.regions.map((r) => r.name)])].filter((x) => x !== 'public');
  const addedSchemas = schemasOf(to).filter((s) => !schemasOf(from).includes(s));
  const droppedSchemas = schemasOf(from).filter((s) => !schemasOf(to).includes(s));
  const addedEntitySchemas = [...new Set(to.entities.map((e) => e.schema))].filter((x) => !from.entities.some((e) => e.schema === x));
  if (addedSchemas.length > 0) {
    expandLocal.push(render(newConfig, 'schemas', { schemas: addedSchemas }));
    if (addedEntitySchemas.length > 0) expandLocal.push(render(newConfig, 'link_schemas', { schemas: addedEntitySchemas }));
    expandLocalChanges.push(`add schema ${addedSchemas.map(q).join(', ')}`);
  }

  if (!same(from.timeouts, to.timeouts)) {
    expandLocal.push(render(newConfig, 'link_timeouts', { from: from.timeouts, to: to.timeouts }));
    expandLocalChanges.push('change the timeouts of the link role');
  }

  const oldEntities = new Map(from.entities.map((e) => [entityKey(e), e]));
  const newEntities = new Map(to.entities.map((e) => [entityKey(e), e]));
  const others = newConfig.regions.filter((r) => r.name !== here.name);
  const othersBefore = oldConfig.regions.filter((r) => r.name !== here.name);
  const keptOthers = others.filter((r) => othersBefore.some((o) => o.name === r.name));

  // entities added and dropped
  for (const [key, entity] of newEntities) {
    if (oldEntities.has(key)) continue;
    const context = { entity: entityContext(newConfig, entity, here) };
    expandLocal.push(
      render(newConfig, 'entity', context),
      render(newConfig, 'entity_types', context),
      expand(applyBlock(newConfig, here, entity)),
    );
    expandLocalChanges.push(`add entity ${key}`);
    shapes[key] = initialShape(entity);
    if (keptOthers.length > 0)
      remoteFiles.push({
        slug: `foreign_${entity.name}`,
        phase: 'remote',
        blocks: keptOthers.map((t) => input.render(newConfig, foreignBlock(newConfig, here, t, entity))),
        changes: [`foreign tables of ${key} in ${keptOthers.map((t) => q(t.name)).join(', ')}`],
        destructive: [],
      });
  }
  for (const [key, entity] of oldEntities) {
    if (newEntities.has(key)) continue;
    const what = destroy(`drop entity ${key} and every row of it in this region`);
    contractRemote.push(
      ...othersBefore
        .filter((t) => keptOthers.some((k) => k.name === t.name))
        .map((t) => inverse(input.render(oldConfig, foreignBlock(oldConfig, hereBefore, t, entity)))),
    );
    contractRemoteChanges.push(`drop the foreign tables of ${key}`);
    const context = { entity: entityContext(oldConfig, entity, hereBefore, input.shapes[key]) };
    if (input.twoPhase) contractLocal.push(inverse(input.render(oldConfig, applyBlock(oldConfig, hereBefore, entity))));
    contractLocal.push(inverse(render(oldConfig, 'entity_types', context)), inverse(render(oldConfig, 'entity', context)));
    contractLocalChanges.push(`drop entity ${key}`);
    contractLocalDestroys.push(what);
    delete shapes[key];
  }

  if (!input.twoPhase) {
    for (const [key, entity] of newEntities) {
      if (!oldEntities.has(key)) continue;
      expandLocal.push(expand(applyBlock(newConfig, here, entity)));
    }
    // the functions replaced below no longer use them; a call in flight on the old ones may, until this wave
    const retired = keptOthers.flatMap((t) =>
      oldConfig.entities.map((e) =>
        render(oldConfig, 'foreign_tables_retired', { target: t, entity: entityContext(oldConfig, e, hereBefore) }),
      ),
    );
    if (retired.length > 0) {
      contractRemote.push(...retired);
      contractRemoteChanges.push('drop the foreign directory and write tables that writes used before dblink');
    }
  }

  // columns of entities that stay
  for (const [key, entity] of newEntities) {
    const old = oldEntities.get(key);
    if (old === undefined) continue;
    if (!same(old.key, entity.key) || old.regionColumn !== entity.regionColumn) {
      refused.push(`${key}: changing the key or the region column of an entity is not supported; add a new entity and move the rows`);
      continue;
    }
    const kinds = [
      { list: 'mirrored' as const, table: { schema: entity.schema, name: entity.name } },
      { list: 'resident' as const, table: { schema: entity.schema, name: `${entity.name}_details` } },
    ];
    for (const { list, table } of kinds) {
      const otherList = list === 'mirrored' ? 'resident' : 'mirrored';
      const before = new Map(old[list].map((c) => [c.name, c]));
      const after = new Map(entity[list].map((c) => [c.name, c]));
      for (const [name, column] of after) {
        const was = before.get(name);
        if (was === undefined) {
          if (old[otherList].some((c) => c.name === name)) {
            refused.push(
              `${key}: column ${q(name)} moves between mirrored and resident; that is not supported (add a new column, copy, drop the old one)`,
            );
            continue;
          }
          if (column.notNull) {
            refused.push(
              `${key}: new column ${q(name)} is not_null; existing rows have no value for it. Add it without not_null, fill it, then set not_null in a later step`,
            );
            continue;
          }
          const noStatistics =
            list === 'resident'
              ? [
                  { schema: entity.schema, name: table.name, foreign: false },
                  ...othersBefore.map((t) => ({ schema: t.name, name: table.name, foreign: true })),
                ]
              : [];
          // existing rows get the default, the same in every region (issue 18)
          const fill = column.default === undefined ? undefined : defaultFill(column.default, generatedAt);
          if (fill?.kind === 'refused') {
            refused.push(`${key}: new column ${q(name)}: ${fill.why}`);
            continue;
          }
          const fillFast = fill !== undefined && here.postgres >= 11;
          const filling = {
            fillFast,
            fillAt: fill?.kind === 'generatedAt' ? fill.at : undefined,
            fillTable: fill === undefined || fillFast ? undefined : list === 'mirrored' ? table : { schema: here.name, name: table.name },
          };
          expandLocal.push(render(newConfig, 'column_add', { table, foreign: false, column, noStatistics, ...filling }));
          if (filling.fillAt !== undefined) deferDefault(key, { table, column, fillAt: filling.fillAt });
          expandLocalChanges.push(`add ${list} column ${q(name)} to ${key}`);
          continue;
        }
        if (was.type !== column.type) {
          refused.push(
            `${key}: changing the type of column ${q(name)} (${was.type} to ${column.type}) is not supported; add a new column, copy, drop the old one`,
          );
          continue;
        }
        const defaultChanged = was.default !== column.default;
        const notNullChanged = was.notNull !== column.notNull;
        if (defaultChanged || notNullChanged) {
          // a default given to a column that had none fills its NULLs (as ADD COLUMN ... DEFAULT would)
          const fill = was.default === undefined && column.default !== undefined ? defaultFill(column.default, generatedAt) : undefined;
          const filling =
            fill === undefined || fill.kind === 'refused'
              ? {}
              : {
                  fillAt: fill.kind === 'generatedAt' ? fill.at : undefined,
                  fillTable: list === 'mirrored' ? table : { schema: here.name, name: table.name },
                };
          const context = { table, foreign: false, column: name, from: was, to: column, defaultChanged, notNullChanged, ...filling };
          if ('fillAt' in filling && filling.fillAt !== undefined) deferDefault(key, { table, column, fillAt: filling.fillAt });
          expandLocal.push(render(newConfig, 'column_alter', context));
          expandLocalChanges.push(
            `change ${defaultChanged ? 'the default' : ''}${defaultChanged && notNullChanged ? ' and ' : ''}${notNullChanged ? 'the nullability' : ''} of column ${q(name)} of ${key}`,
          );
        }
      }
      for (const [name, column] of before) {
        if (after.has(name) || entity[otherList].some((c) => c.name === name)) continue;
        const what = destroy(`drop ${list} column ${q(name)} of ${key} and its values`);
        contractLocal.push(inverse(render(oldConfig, 'column_add', { table, foreign: false, column, noStatistics: [] })));
        contractLocalChanges.push(`drop ${list} column ${q(name)} of ${key}`);
        contractLocalDestroys.push(what);
      }
    }
    shapes[key] = evolveShape(input.shapes[key] ?? initialShape(old), entity);
    const addedRoles = to.appRoles.filter((r) => !from.appRoles.includes(r));
    const droppedRoles = from.appRoles.filter((r) => !to.appRoles.includes(r));
    if (addedRoles.length > 0) {
      expandLocal.push(render(newConfig, 'app_grants', { entity: entityContext(newConfig, entity, here), roles: addedRoles }));
      // the functions as they are before this step (an overload it adds is granted where it is created)
      expandLocal.push(
        input.render(newConfig, functionGrantsBlock(newConfig, here, entity, addedRoles, input.shapes[key] ?? initialShape(old), true)),
      );
      expandLocalChanges.push(`grant ${key} to ${addedRoles.map(q).join(', ')}`);
    }
    if (droppedRoles.length > 0) {
      contractLocal.push(
        inverse(render(oldConfig, 'app_grants', { entity: entityContext(oldConfig, entity, hereBefore), roles: droppedRoles })),
        inverse(input.render(oldConfig, functionGrantsBlock(oldConfig, hereBefore, entity, droppedRoles, shapes[key], true))),
      );
      contractLocalChanges.push(`revoke ${key} from ${droppedRoles.map(q).join(', ')}`);
    }
  }

  // regions added and removed
  for (const target of others) {
    if (othersBefore.some((o) => o.name === target.name)) continue;
    remoteFiles.push({
      slug: `region_${target.name}`,
      phase: 'remote',
      blocks: [
        input.render(newConfig, serverBlock(newConfig, here, target)),
        ...newConfig.entities.map((e) => input.render(newConfig, foreignBlock(newConfig, here, target, e))),
        input.render(newConfig, regionRowBlock(newConfig, here, target)),
      ],
      changes: [`add region ${q(target.name)}: its server, user mapping, foreign tables and registry row`],
      destructive: [],
    });
  }
  for (const target of othersBefore) {
    if (others.some((o) => o.name === target.name)) continue;
    const what = destroy(`remove region ${q(target.name)} from the fleet`);
    const entities = oldConfig.entities.map((e) => entityContext(oldConfig, e, hereBefore));
    remoteFiles.push({
      slug: `remove_region_${target.name}`,
      phase: 'remote',
      blocks: [
        // calls in flight read the registry before they reach the region's tables: let them finish
        render(oldConfig, 'registry_lock', {}),
        render(oldConfig, 'region_leave', { target, entities }),
        inverse(input.render(oldConfig, regionRowBlock(oldConfig, hereBefore, target))),
        ...oldConfig.entities.map((e) => inverse(input.render(oldConfig, foreignBlock(oldConfig, hereBefore, target, e)))),
        ...(input.twoPhase
          ? []
          : oldConfig.entities.map((e) =>
              render(oldConfig, 'foreign_tables_retired', { target, entity: entityContext(oldConfig, e, hereBefore) }),
            )),
        inverse(input.render(oldConfig, serverBlock(oldConfig, hereBefore, target))),
      ],
      changes: [
        `remove region ${q(target.name)}: refused while it owns personal rows; its registry row, foreign tables, user mapping and server`,
      ],
      destructive: [what],
    });
  }

  // servers: options follow this region's version and fdw_options
  const optionsBefore = serverOptions(oldConfig, hereBefore);
  const optionsAfter = serverOptions(newConfig, here);
  if (!same([...optionsBefore], [...optionsAfter]) && keptOthers.length > 0) {
    const diff = { up: optionDiff(optionsBefore, optionsAfter), down: optionDiff(optionsAfter, optionsBefore) };
    remoteFiles.push({
      slug: 'server_options',
      phase: 'remote',
      blocks: keptOthers.map((target) => render(newConfig, 'server_options', { target, ...diff })),
      changes: [`server options for PostgreSQL ${here.postgres} and fdw_options`],
      destructive: [],
    });
  }

  // the runtime library and apply functions, replaced when a new pg-residency renders them differently
  const runtime = planRuntime({
    config: newConfig,
    here,
    entities: newConfig.entities.filter((e) => oldEntities.has(entityKey(e))),
    twoPhase: input.twoPhase,
    code: input.code,
    files: input.files,
    readFile: input.readFile,
    render: input.render,
    codeHash: input.codeHash,
  });
  if (runtime !== undefined) remoteFiles.push(runtime);

  // the reads every entity's read functions call (issue 21): created in a history
  // without them, replaced when their template changed; before the functions
  {
    const reads = input.render(newConfig, readsBlock(newConfig, here));
    const sha256 = input.codeHash([reads]);
    const recorded = input.code[READS_ID];
    if (recorded?.sha256 !== sha256) {
      const old = recorded === undefined ? undefined : markedSection(input.readFile(recorded.file), READS_ID);
      remoteFiles.push({
        slug: 'reads',
        phase: 'remote',
        blocks: [old === undefined ? reads : { up: reads.up, down: old, template: 'reads' }],
        changes: [
          recorded === undefined ? 'create the reads across regions' : `replace the reads across regions (before: ${recorded.file})`,
        ],
        destructive: [],
        creates: [{ id: READS_ID, sha256 }],
      });
    }
  }

  // code: every entity's functions, replaced in place when what renders changed
  for (const entity of newConfig.entities) {
    const key = entityKey(entity);
    const id = codeId(entity);
    const functions = input.render(newConfig, codeBlock(newConfig, here, entity, shapes[key]));
    const sha256 = input.codeHash([functions]);
    const recorded = input.code[id];
    const overloads = (from = 0) => input.render(newConfig, overloadBlock(newConfig, here, entity, shapes[key], from));
    if (recorded?.sha256 === sha256) {
      // a column added: the row type's new attribute and the overload that takes it, nothing replaced
      const oldShape = input.shapes[key] ?? initialShape(oldEntities.get(key)!);
      const newShape = shapes[key]!;
      const later = laterDefaults.get(key) ?? [];
      if (newShape.arities.length === oldShape.arities.length && newShape.row.length === oldShape.row.length) {
        if (later.length > 0)
          remoteFiles.push({
            slug: `defaults_${entity.name}`,
            phase: 'remote',
            blocks: [render(newConfig, 'registry_lock', {}), ...later],
            changes: [`the defaults of ${key} for new rows, once every region ran the local wave`],
            destructive: [],
          });
        continue;
      }
      const added = newShape.row.slice(oldShape.row.length);
      const type = { schema: entity.schema, type: derivedNames(entity.name).row };
      const lock = render(newConfig, 'registry_lock', {});
      const rowUp = render(newConfig, 'row_type', { ...type, add: added, drop: [] });
      const rowDown = render(newConfig, 'row_type', { ...type, add: [], drop: added.map((a) => a.name).reverse() });
      const fresh = newShape.arities.length > oldShape.arities.length ? overloads(oldShape.arities.length) : undefined;
      const join = (...parts: string[]) => parts.filter((p) => p !== '').join('\n\n');
      remoteFiles.push({
        slug: `functions_${entity.name}`,
        phase: 'remote',
        blocks: [
          {
            up: join(lock.up, ...later.map((b) => b.up), added.length > 0 ? rowUp.up : '', fresh?.up ?? ''),
            down: join(lock.down, fresh?.down ?? '', added.length > 0 ? rowDown.up : '', ...later.map((b) => b.down).reverse()),
            template: 'functions',
          },
        ],
        changes: [`the row type of ${key} and the upsert overload that takes its new columns (the functions stay: ${recorded.file})`],
        destructive: [],
      });
      continue;
    }
    if (recorded === undefined) {
      const roles =
        newConfig.appRoles.length > 0
          ? [input.render(newConfig, functionGrantsBlock(newConfig, here, entity, newConfig.appRoles, shapes[key]))]
          : [];
      remoteFiles.push({
        slug: `functions_${entity.name}`,
        phase: 'remote',
        blocks: [functions, overloads(), ...roles],
        changes: [`create the functions of ${key}`],
        destructive: [],
        creates: [{ id, sha256 }],
      });
      continue;
    }
    const old = oldEntities.get(key)!;
    const oldShape = input.shapes[key] ?? initialShape(old);
    const newShape = shapes[key]!;
    const oldFunctions = markedSection(input.readFile(recorded.file), id);
    if (oldFunctions === undefined)
      throw new ResidencyError(
        'CHECKSUM',
        `${recorded.file} does not hold the functions of ${key} that state.json records; restore generated/ from version control`,
      );
    const context = (c: Config, e: Entity, p: ApiShape, r: Region) => ({
      ...baseContext(c, r),
      entity: entityContext(c, e, r, p),
    });
    const added = newShape.row.slice(oldShape.row.length);
    const lock = render(newConfig, 'registry_lock', {});
    const rowUp = render(newConfig, 'row_type', { schema: entity.schema, type: derivedNames(entity.name).row, add: added, drop: [] });
    const rowDown = render(newConfig, 'row_type', {
      schema: entity.schema,
      type: derivedNames(entity.name).row,
      add: [],
      drop: added.map((a) => a.name).reverse(),
    });
    // a step that appends parameters adds an overload; down drops it again
    const overloadAdded = newShape.arities.length > oldShape.arities.length;
    const dropNew = overloadAdded
      ? input.render(newConfig, { template: 'upsert_drop', context: context(newConfig, entity, newShape, here) }).up
      : '';
    // the first step with the read functions (issue 21): down drops them, as the file it restores has none
    const dropReads = oldFunctions.includes(qualified(entity.schema, derivedNames(entity.name).getMany))
      ? ''
      : input.render(newConfig, { template: 'reads_drop', context: context(newConfig, entity, newShape, here) }).up;
    const join = (...parts: string[]) => parts.filter((p) => p !== '').join('\n\n');
    remoteFiles.push({
      slug: `functions_${entity.name}`,
      phase: 'remote',
      // the row type first (the SQL function bodies are checked against it), then the functions;
      // down restores the row type, then the functions as ${recorded.file} created them
      blocks: [
        {
          up: join(lock.up, ...(laterDefaults.get(key) ?? []).map((b) => b.up), rowUp.up, functions.up, overloads().up),
          down: join(
            lock.down,
            dropReads,
            rowDown.up,
            oldFunctions,
            dropNew,
            ...(laterDefaults.get(key) ?? []).map((b) => b.down).reverse(),
          ),
          template: 'functions',
        },
      ],
      changes: [`replace the functions of ${key} (CREATE OR REPLACE; before: ${recorded.file})`],
      destructive: [],
      creates: [{ id, sha256 }],
    });
  }
  for (const entity of oldConfig.entities) {
    const key = entityKey(entity);
    if (newEntities.has(key) || input.code[codeId(entity)] === undefined) continue;
    const recorded = input.code[codeId(entity)]!;
    const oldFunctions = markedSection(input.readFile(recorded.file), codeId(entity)) ?? '';
    const drop = input.render(oldConfig, codeBlock(oldConfig, hereBefore, entity, input.shapes[key]));
    remoteFiles.unshift({
      slug: `drop_functions_${entity.name}`,
      phase: 'remote',
      blocks: [render(oldConfig, 'registry_lock', {}), { up: drop.down, down: oldFunctions, template: 'functions' }],
      changes: [`drop the functions of ${key}`],
      destructive: [],
    });
  }
  if (droppedSchemas.length > 0) {
    contractLocal.push(inverse(render(oldConfig, 'schemas', { schemas: droppedSchemas })));
    contractLocalChanges.push(`drop schema ${droppedSchemas.map(q).join(', ')}`);
  }

  // A call holds the registry lock before it reads an entity table, and its own
  // region's part runs in another session (the loopback): a step that alters
  // those tables takes the registry first, so it never waits on a call whose
  // part waits on it (a cycle no deadlock detector sees).
  const locked = (blocks: StepBlock[]) => (blocks.length > 0 ? [render(newConfig, 'registry_lock', {}), ...blocks] : blocks);
  const files: StepFile[] = [];
  if (expandLocal.length > 0)
    files.push({
      slug: 'expand',
      phase: 'local',
      blocks: locked(expandLocal),
      changes: expandLocalChanges,
      destructive: [],
      creates: expandLocalCreates,
    });
  files.push(...remoteFiles);
  if (contractRemote.length > 0)
    files.push({
      slug: 'contract_remote',
      phase: 'remote',
      blocks: contractRemote,
      changes: contractRemoteChanges,
      destructive: contractRemoteDestroys,
    });
  if (contractLocal.length > 0)
    files.push({
      slug: 'contract',
      phase: 'local',
      blocks: locked(contractLocal),
      changes: contractLocalChanges,
      destructive: contractLocalDestroys,
    });
  return { files, shapes, refused };
}
