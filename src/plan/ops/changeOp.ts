import type { Column, Config, Entity, Region } from '../../config/types.js';
import type { Phase } from '../../format/migrationFile.js';
import type { ApiShape } from '../apiShape.js';
import type { FleetState } from '../fleetState.js';
import { baseContext, type PlannedBlock } from '../planRegion.js';

/** A block ready to compose: rendered from a template, or taken from a file already generated. */
export interface StepBlock {
  readonly up: string;
  readonly down: string;
  /** The template it was rendered from (for the file's header), or the file whose sections it swaps. */
  readonly template: string;
}

/** A replaceable object a file creates, recorded in state.json by the hash of what rendered for it. */
export interface CreatedCode {
  readonly id: string;
  readonly sha256: string;
}

/**
 * Where a change's blocks go. The shared files of a step: `expand` (the local
 * wave, before anything reads the new columns), `contract_remote` (the remote
 * wave, after the functions no longer use what it drops) and `contract` (the
 * local wave, last). Any other slug is a remote file of its own.
 */
export type Target =
  | { readonly file: 'expand' | 'contract_remote' | 'contract' }
  | {
      readonly file: 'own';
      readonly slug: string;
      /** Files of their own run in the order of their rank, then of the changes. */
      readonly rank: number;
      /** Takes the registry lock before any DDL, in both directions; `unlisted` keeps it out of the header's sources. */
      readonly lock: 'listed' | 'unlisted' | 'none';
    };

/** What one change adds to one file of the step. */
export interface Contribution {
  readonly target: Target;
  readonly blocks: readonly StepBlock[];
  /** A line for the file header's list of changes. */
  readonly change?: string;
  /** What it destroys (data that a down does not bring back), for the header and for --allow-destructive. */
  readonly destroys?: string;
  readonly creates?: readonly CreatedCode[];
  /** Orders contributions within a shared file before the order of the changes (lowest first; default 0). */
  readonly rank?: number;
  /**
   * Its file must run in every region in one run (`migrate up --all`), not
   * region by region: a column rename (state.json records the file in its
   * step's `together`; src/migrate/rolloutOrder.ts's renameWaits reads it).
   */
  readonly together?: boolean;
}

/**
 * One typed change between two desired states (as pgroll's Operation): it
 * knows whether the change is allowed, its wave, whether it destroys data,
 * and the blocks it renders up and down, with the objects they create.
 */
export interface ChangeOp {
  /** The kind of change (the module that made it): `add_column`, `rename_column`, ... */
  readonly kind: string;
  /** What it changes, for messages: `add mirrored column "tier" to shared.identity`. */
  readonly summary: string;
  /** The wave of its main file. */
  readonly wave: Phase;
  /** Data it destroys, each a sentence; empty when it destroys nothing. */
  readonly destroys: readonly string[];
  /** Why the change cannot be made, each a sentence naming the fix; empty when it can. */
  validate(): readonly string[];
  /** Its blocks, by file (called only when validate() found nothing). */
  render(): readonly Contribution[];
}

/** What every change may read: both states, the region in each, the history already generated, and how to render. */
export interface OpContext {
  readonly region: string;
  readonly from: FleetState;
  readonly to: FleetState;
  readonly oldConfig: Config;
  readonly newConfig: Config;
  /** The region in the new and in the old config. */
  readonly here: Region;
  readonly hereBefore: Region;
  /** The other regions, after and before; those in both. */
  readonly others: readonly Region[];
  readonly othersBefore: readonly Region[];
  readonly keptOthers: readonly Region[];
  /** Each entity's API as deployed before the step, and after it. */
  readonly shapes: Readonly<Record<string, ApiShape>>;
  readonly newShapes: Readonly<Record<string, ApiShape>>;
  readonly code: Readonly<Record<string, { readonly file: string; readonly sha256: string }>>;
  readonly files: readonly string[];
  readonly readFile: (name: string) => string;
  /** Renders a planned block in the mode the given config gives the region. */
  readonly render: (config: Config, block: PlannedBlock) => StepBlock;
  readonly codeHash: (blocks: readonly StepBlock[]) => string;
  /** Whether the recorded history already writes through dblink two-phase commit. */
  readonly twoPhase: boolean;
  /**
   * When the step is generated (ISO 8601), the same for every region: existing
   * rows of a column added with a default like now() get this time (defaultFill.ts).
   */
  readonly generatedAt: string;
}

/** Renders a template with the region's base values (of the old config or the new one) and the given ones. */
export function renderIn(ctx: OpContext, config: Config, template: string, context: object): StepBlock {
  const region = config === ctx.oldConfig ? ctx.hereBefore : ctx.here;
  return ctx.render(config, { template, context: { ...baseContext(config, region), ...context } });
}

/** A block whose up is another's down: what reverts a creation. */
export function inverse(block: StepBlock): StepBlock {
  return { up: block.down, down: block.up, template: block.template };
}

/** The SQL parts joined by a blank line, empty ones left out. */
export function joinSql(...parts: string[]): string {
  return parts.filter((p) => p !== '').join('\n\n');
}

export const quoteName = (name: string) => JSON.stringify(name);

/** Where an entity's columns of a kind live. */
export function columnTable(entity: Entity, list: 'mirrored' | 'resident') {
  return { schema: entity.schema, name: list === 'mirrored' ? entity.name : `${entity.name}_details` };
}

export const EXPAND: Target = { file: 'expand' };
export const CONTRACT: Target = { file: 'contract' };
export const CONTRACT_REMOTE: Target = { file: 'contract_remote' };

/** A remote file of its own. */
export function ownFile(slug: string, rank: number, lock: 'listed' | 'unlisted' | 'none' = 'none'): Target {
  return { file: 'own', slug, rank, lock };
}

/**
 * A default like now() given in a step (addColumn, alterColumn): the local
 * wave sets the time the step was generated, so rows written meanwhile by
 * regions without the column match everywhere; the entity's functions file
 * (remote wave, every region has the column then) sets the expression itself
 * (templates/column_default.sql.hbs), first on up and last on down.
 */
export function deferredDefault(
  ctx: OpContext,
  entity: Entity,
  table: { readonly schema: string; readonly name: string },
  column: Column,
  fillAt: string,
): Contribution {
  return {
    target: ownFile(`functions_${entity.name}`, RANK.functions, 'unlisted'),
    blocks: [renderIn(ctx, ctx.newConfig, 'column_default', { table, column, fillAt })],
    change: `the default ${quoteName(column.name)} of ${entity.schema}.${entity.name} takes for new rows, once every region ran the local wave`,
    rank: -2,
  };
}

/** Ranks of files of their own: dropped functions first, then new entities' foreign tables, regions, servers, runtime, reads, functions. */
export const RANK = {
  dropFunctions: 0,
  foreignTables: 1,
  addRegion: 2,
  removeRegion: 3,
  serverOptions: 4,
  runtime: 5,
  reads: 6,
  functions: 7,
  grants: 8,
} as const;
