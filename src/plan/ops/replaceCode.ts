import type { Entity } from '../../config/types.js';
import { derivedNames, REGISTRY_SCHEMA } from '../../config/derivedNames.js';
import { ResidencyError } from '../../errors.js';
import { markedSection } from '../../format/migrationSection.js';
import { qualified } from '../../sql/quote.js';
import { entityKey, initialShape, type ApiShape } from '../apiShape.js';
import { entityContext } from '../entityContext.js';
import { legacyRuntimeSql } from '../legacyRuntimeSql.js';
import {
  applyBlock,
  applyId,
  baseContext,
  codeBlock,
  codeId,
  functionGrantsBlock,
  overloadBlock,
  READS_ID,
  readsBlock,
  runtimeBlock,
  runtimeId,
  RUNTIME_TEMPLATES,
  type PlannedBlock,
} from '../planRegion.js';
import { joinSql, ownFile, RANK, renderIn, type ChangeOp, type OpContext, type StepBlock, type Target } from './changeOp.js';

/** The SQL that created an object as deployed (its up) and what dropped it (its down), when known. */
export interface DeployedText {
  readonly up: string;
  readonly down?: string;
}

/**
 * One replaceable object: an entity's functions, its apply function, the
 * runtime library's functions, the reads. state.json records each by the
 * hash of what rendered for it; when the templates (or the config) render it
 * differently now, the step replaces it.
 */
export interface CodeObject {
  readonly id: string;
  /** What renders it now. */
  readonly block: PlannedBlock;
  /** The text deployed before, read from the file state.json names (undefined: the object is new to the region). */
  readonly deployed: (recordedFile: string | undefined) => DeployedText | undefined;
  /** The file it goes to, new or replaced. */
  readonly target: (replacing: boolean) => Target;
  /**
   * The blocks that bring the deployed object to the new one (and back); a
   * block's rank places it among other changes' blocks in the same file
   * (renameColumn's sits between an entity's two).
   */
  readonly replace: (now: StepBlock, deployed: DeployedText | undefined) => readonly RankedBlock[];
  /** The header line. */
  readonly change: (recordedFile: string | undefined) => string;
}

/**
 * Creates or replaces a code object when what renders for it now differs
 * from what state.json records: one mechanism for every object whose body
 * pg-residency owns (the remote wave; see the kinds below).
 */
/** A block and where it goes among the blocks other changes add to its file. */
export type RankedBlock = StepBlock & { readonly rank?: number };

export function replaceCode(ctx: OpContext, object: CodeObject): ChangeOp | undefined {
  const now = ctx.render(ctx.newConfig, object.block);
  const sha256 = ctx.codeHash([now]);
  const recorded = ctx.code[object.id];
  if (recorded?.sha256 === sha256) return undefined;
  const summary = object.change(recorded?.file);
  return {
    kind: 'replace_code',
    summary,
    wave: 'remote',
    destroys: [],
    validate: () => [],
    render: () => {
      const target = object.target(recorded !== undefined);
      return object.replace(now, object.deployed(recorded?.file)).map(({ rank, ...block }, i) => ({
        target,
        blocks: [block],
        rank: rank ?? 0,
        ...(i === 0 ? { change: summary, creates: [{ id: object.id, sha256 }] } : {}),
      }));
    },
  };
}

function markedText(ctx: OpContext, file: string, id: string, both: boolean): DeployedText {
  const content = ctx.readFile(file);
  const up = markedSection(content, id, 'up');
  const down = both ? markedSection(content, id, 'down') : undefined;
  if (up === undefined || (both && down === undefined))
    throw new ResidencyError(
      'CHECKSUM',
      `${file} does not hold the ${id} that state.json records; restore generated/ from version control`,
    );
  return down === undefined ? { up } : { up, down };
}

/**
 * The runtime library (the registry's and the two-phase protocol's
 * functions) and each kept entity's apply function, all in one remote file
 * (`runtime`, under the registry lock) before the entity functions, so a
 * region's runtime and the functions calling it change in one transaction.
 * Up runs what dropped the old functions, then creates the new ones; down the
 * reverse with the recorded text. A history from before runtime objects were
 * recorded finds the old text by parsing the file that created it.
 */
export function runtimeObjects(ctx: OpContext, keptEntities: readonly Entity[]): CodeObject[] {
  const { newConfig: config, here } = ctx;
  const target = () => ownFile('runtime', RANK.runtime, 'listed');
  const object = (
    id: string,
    block: PlannedBlock,
    legacy: { file: (name: string) => boolean; schema: string; names?: readonly string[] },
  ): CodeObject => ({
    id,
    block,
    target,
    deployed: (file) => (file === undefined ? legacyText(ctx, id, legacy) : markedText(ctx, file, id, true)),
    replace: (now, old) => {
      // a history from before: the registry's functions now come with a table its
      // state did not have (admin_todo, created IF NOT EXISTS); down takes it away
      // again, or reverting that history's registry file could not drop its schema
      const legacyState =
        ctx.code[id] === undefined && id === runtimeId('registry') ? `DROP TABLE IF EXISTS "residency"."admin_todo";` : '';
      // likewise the two-phase functions and the gate's table and sequence (write_gate, write_ticket, issue 20): a
      // runtime from before it reverts without it
      const gateState =
        id === runtimeId('two_phase') && !old!.up.includes('"write_gate"')
          ? `DROP TABLE IF EXISTS ${qualified(REGISTRY_SCHEMA, 'write_gate')};\nDROP SEQUENCE IF EXISTS ${qualified(REGISTRY_SCHEMA, 'write_ticket')};`
          : '';
      return [{ up: joinSql(old!.down ?? '', now.up), down: joinSql(now.down, legacyState, gateState, old!.up), template: block.template }];
    },
    change: (file) => `replace ${id.replace(/^runtime /, 'the runtime functions of ')}${file === undefined ? '' : ` (before: ${file})`}`,
  });
  return [
    ...RUNTIME_TEMPLATES.filter((t) => t === 'registry' || ctx.twoPhase).map((template) =>
      object(runtimeId(template), runtimeBlock(config, here, template, 'code'), {
        file: template === 'registry' ? (n) => /^\d+_registry\.sql$/.test(n) : (n) => /_(two_phase|expand)\.sql$/.test(n),
        schema: 'residency',
        ...(template === 'registry' ? { names: ['bind_server'] } : {}),
      }),
    ),
    ...(ctx.twoPhase ? keptEntities : []).map((entity) =>
      object(applyId(entity), applyBlock(config, here, entity), {
        file: (n) => /_(entity_.*|expand)\.sql$/.test(n),
        schema: entity.schema,
        names: [`apply_${entity.name}`],
      }),
    ),
  ];
}

function legacyText(
  ctx: OpContext,
  id: string,
  legacy: { file: (name: string) => boolean; schema: string; names?: readonly string[] },
): DeployedText {
  for (const name of [...ctx.files].reverse()) {
    if (!legacy.file(name)) continue;
    const found = legacyRuntimeSql(ctx.readFile(name), legacy.schema, legacy.names);
    if (found !== undefined) return found;
  }
  throw new ResidencyError(
    'CHECKSUM',
    `no generated file creates the ${id} that this region's history needs; restore generated/ from version control`,
  );
}

/**
 * The reads every entity's read functions call (issue 21; remote file
 * `reads`, before the functions): created in a history without them, replaced
 * (CREATE OR REPLACE; down drops the new functions and restores the recorded
 * text) when their template changed.
 */
export function readsObject(ctx: OpContext): CodeObject {
  return {
    id: READS_ID,
    block: readsBlock(ctx.newConfig, ctx.here),
    target: () => ownFile('reads', RANK.reads),
    deployed: (file) => {
      const up = file === undefined ? undefined : markedSection(ctx.readFile(file), READS_ID);
      return up === undefined ? undefined : { up };
    },
    // down drops what this version created (a function the recorded text lacks would stay), then restores the recorded text
    replace: (now, old) => [old === undefined ? now : { up: now.up, down: joinSql(now.down, old.up), template: 'reads' }],
    change: (file) => (file === undefined ? 'create the reads across regions' : `replace the reads across regions (before: ${file})`),
  };
}

/**
 * An entity's functions (remote file `functions_<entity>`): created whole for
 * a new entity, then its `upsert_<entity>` overloads and the app_roles'
 * grants (blocks of their own, outside the hash: a role or a column replaces
 * no function); replaced in place (CREATE OR REPLACE, under the registry
 * lock) when the fleet or the templates render them differently. The row
 * type changes first (the SQL function bodies are checked against it), the
 * overloads follow the new functions; a step that appends parameters adds an
 * overload, which down drops; down restores the row type, then the functions
 * as the recorded file created them. A column renamed in the step is renamed
 * between the two (see renameColumn.ts). A step that only extends the API
 * (a column added: the functions read their fields from the row type) is
 * extendApi.ts.
 */
export function functionsObject(ctx: OpContext, entity: Entity, oldShape: ApiShape | undefined, newShape: ApiShape): CodeObject {
  const key = entityKey(entity);
  const id = codeId(entity);
  const { newConfig, here } = ctx;
  return {
    id,
    block: codeBlock(newConfig, here, entity, newShape),
    target: (replacing) => ownFile(`functions_${entity.name}`, RANK.functions, replacing ? 'unlisted' : 'none'),
    deployed: (file) => {
      if (file === undefined) return undefined;
      const up = markedSection(ctx.readFile(file), id);
      if (up === undefined)
        throw new ResidencyError(
          'CHECKSUM',
          `${file} does not hold the functions of ${key} that state.json records; restore generated/ from version control`,
        );
      return { up };
    },
    replace: (functions, deployed) => {
      const overloads = ctx.render(newConfig, overloadBlock(newConfig, here, entity, newShape));
      if (deployed === undefined)
        return [functions, overloads, ctx.render(newConfig, functionGrantsBlock(newConfig, here, entity, [newConfig.appGroup], newShape))];
      const before = oldShape!;
      const context = () => ({ ...baseContext(newConfig, here), entity: entityContext(newConfig, entity, here, newShape) });
      const added = newShape.row.slice(before.row.length);
      const type = derivedNames(entity.name).row;
      const rowUp = renderIn(ctx, newConfig, 'row_type', { schema: entity.schema, type, add: added, drop: [] });
      const rowDown = renderIn(ctx, newConfig, 'row_type', {
        schema: entity.schema,
        type,
        add: [],
        drop: added.map((a) => a.name).reverse(),
      });
      const dropNew =
        newShape.arities.length > before.arities.length ? ctx.render(newConfig, { template: 'upsert_drop', context: context() }).up : '';
      // the first step with the read functions (issue 21): down drops them, as the file it restores has none
      const dropReads = deployed.up.includes(qualified(entity.schema, derivedNames(entity.name).getMany))
        ? ''
        : ctx.render(newConfig, { template: 'reads_drop', context: context() }).up;
      // two blocks, so that a renamed column's block (renameColumn.ts, rank 0) runs
      // after what restores the old functions on down, before the new ones on up
      return [
        { up: '', down: joinSql(deployed.up, dropNew), template: 'functions', rank: -1 },
        { up: joinSql(rowUp.up, functions.up, overloads.up), down: joinSql(dropReads, rowDown.up), template: 'functions', rank: 1 },
      ];
    },
    change: (file) =>
      file === undefined ? `create the functions of ${key}` : `replace the functions of ${key} (CREATE OR REPLACE; before: ${file})`,
  };
}

/** The shape a kept entity's functions were deployed with (a history without one had the initial shape). */
export function deployedShape(ctx: OpContext, before: Entity): ApiShape {
  return ctx.shapes[entityKey(before)] ?? initialShape(before);
}
