import type { Config } from '../config/types.js';
import type { ApiShape } from './apiShape.js';
import { assembleStep, type StepFile } from './assembleStep.js';
import { diffStates } from './diffStates.js';
import { fleetConfig, type FleetState } from './fleetState.js';
import type { StepBlock } from './ops/changeOp.js';
import type { PlannedBlock } from './planRegion.js';

export type { StepFile } from './assembleStep.js';
export type { StepBlock } from './ops/changeOp.js';

/** What a step planner may read: files already generated, and how to render a block. */
export interface StepInput {
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
   * before it gets the upgrade appended (upgradeTwoPhase.ts).
   */
  readonly twoPhase: boolean;
  /**
   * When the step is generated (ISO 8601; default: now), one time for every
   * region of a run: existing rows of a column added with a default like now() get it.
   */
  readonly generatedAt?: string;
}

export interface StepPlan {
  readonly files: readonly StepFile[];
  readonly shapes: Record<string, ApiShape>;
  /** Problems that refuse the change as a whole (destructive without --allow-destructive, unsupported changes). */
  readonly refused: readonly string[];
  /** The typed changes, in order (for messages and tests). */
  readonly changes: readonly { readonly kind: string; readonly summary: string; readonly wave: string }[];
}

/**
 * The files that bring one region from the state `from` to the state `to`:
 * the typed changes between them (diffStates.ts, one module per kind under
 * ops/), each validated, then assembled into files by wave (assembleStep.ts).
 * A change that is refused renders nothing; the step as a whole is refused.
 */
export function planStep(input: StepInput): StepPlan {
  const { from, to, region } = input;
  const oldConfig = fleetConfig(from);
  const newConfig = fleetConfig(to);
  const here = newConfig.regions.find((r) => r.name === region)!;
  const hereBefore = oldConfig.regions.find((r) => r.name === region)!;
  const others = newConfig.regions.filter((r) => r.name !== here.name);
  const othersBefore = oldConfig.regions.filter((r) => r.name !== here.name);
  const { ops, shapes } = diffStates({
    region,
    from,
    to,
    oldConfig,
    newConfig,
    here,
    hereBefore,
    others,
    othersBefore,
    keptOthers: others.filter((r) => othersBefore.some((o) => o.name === r.name)),
    shapes: input.shapes,
    code: input.code,
    files: input.files,
    readFile: input.readFile,
    render: input.render,
    codeHash: input.codeHash,
    twoPhase: input.twoPhase,
    generatedAt: input.generatedAt ?? new Date().toISOString(),
  });
  const refused: string[] = [];
  const valid = ops.filter((op) => {
    const problems = op.validate();
    refused.push(...problems);
    if (!input.allowDestructive) refused.push(...op.destroys.map((d) => `${d} (destructive: generate with --allow-destructive)`));
    return problems.length === 0;
  });
  return {
    files: assembleStep(valid),
    shapes,
    refused,
    changes: ops.map((op) => ({ kind: op.kind, summary: op.summary, wave: op.wave })),
  };
}
