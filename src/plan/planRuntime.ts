import type { Config, Entity, Region } from '../config/types.js';
import { ResidencyError } from '../errors.js';
import { markedSection } from '../format/migrationSection.js';
import { legacyRuntimeSql } from './legacyRuntimeSql.js';
import { applyBlock, applyId, runtimeBlock, runtimeId, RUNTIME_TEMPLATES, type PlannedBlock } from './planRegion.js';
import type { StepBlock, StepFile } from './planDelta.js';

/** What planRuntime reads: the recorded objects, the files already generated, how to render and hash. */
export interface RuntimeInput {
  readonly config: Config;
  readonly here: Region;
  /** Entities whose apply function exists before this step (kept ones; added ones are created whole). */
  readonly entities: readonly Entity[];
  /** Whether the two-phase runtime exists before this step (it is created whole otherwise). */
  readonly twoPhase: boolean;
  readonly code: Readonly<Record<string, { readonly file: string; readonly sha256: string }>>;
  /** File names already generated for the region, in order. */
  readonly files: readonly string[];
  readonly readFile: (name: string) => string;
  readonly render: (config: Config, block: PlannedBlock) => StepBlock;
  readonly codeHash: (blocks: readonly StepBlock[]) => string;
}

/** One runtime object the region has, and the block that renders it now. */
interface RuntimeObject {
  readonly id: string;
  readonly block: PlannedBlock;
  /** For a history from before runtime objects were recorded: which file created it, and which functions are its. */
  readonly legacy: { readonly file: (name: string) => boolean; readonly schema: string; readonly names?: readonly string[] };
}

/**
 * The step that brings a region's runtime library (the registry's and the
 * two-phase protocol's functions) and each entity's apply function from the
 * bodies recorded in state.json to what the templates render now: a new
 * pg-residency version that fixes the protocol reaches an existing fleet by
 * this appended file, never by regenerating.
 *
 * Up drops the old functions (the statements that dropped them when the file
 * that created them is reverted, so a changed signature leaves no stale
 * overload) and creates the new ones; down does the reverse with the recorded
 * text. It runs in the remote wave, before the entity functions, so a
 * region's runtime and the functions that call it change in one transaction
 * (migrate runs each region's wave in one). The registry lock comes first:
 * calls in flight hold it, so none meets a dropped function.
 *
 * Returns undefined when nothing changed.
 */
export function planRuntime(input: RuntimeInput): StepFile | undefined {
  const { config, here } = input;
  const objects: RuntimeObject[] = [
    ...RUNTIME_TEMPLATES.filter((t) => t === 'registry' || input.twoPhase).map((template): RuntimeObject => ({
      id: runtimeId(template),
      block: runtimeBlock(config, here, template, 'code'),
      legacy: {
        file: template === 'registry' ? (n) => /^\d+_registry\.sql$/.test(n) : (n) => /_(two_phase|expand)\.sql$/.test(n),
        schema: 'residency',
        ...(template === 'registry' ? { names: ['bind_server'] } : {}),
      },
    })),
    ...(input.twoPhase ? input.entities : []).map((entity): RuntimeObject => ({
      id: applyId(entity),
      block: applyBlock(config, here, entity),
      legacy: { file: (n) => /_(entity_.*|expand)\.sql$/.test(n), schema: entity.schema, names: [`apply_${entity.name}`] },
    })),
  ];
  const blocks: StepBlock[] = [];
  const creates: { id: string; sha256: string }[] = [];
  const changes: string[] = [];
  for (const object of objects) {
    const now = input.render(config, object.block);
    const sha256 = input.codeHash([now]);
    const recorded = input.code[object.id];
    if (recorded?.sha256 === sha256) continue;
    const old = recorded === undefined ? legacyText(input, object) : recordedText(input, object.id, recorded.file);
    // a history from before: the registry's functions now come with a table its
    // state did not have (admin_todo, created IF NOT EXISTS); down takes it away
    // again, or reverting that history's registry file could not drop its schema
    const legacyState =
      recorded === undefined && object.id === runtimeId('registry') ? `DROP TABLE IF EXISTS "residency"."admin_todo";` : '';
    blocks.push({ up: join(old.down, now.up), down: join(now.down, legacyState, old.up), template: object.block.template });
    creates.push({ id: object.id, sha256 });
    changes.push(`replace ${object.id.replace(/^runtime /, 'the runtime functions of ')}${recorded ? ` (before: ${recorded.file})` : ''}`);
  }
  if (blocks.length === 0) return undefined;
  const lock = input.render(config, { template: 'registry_lock', context: { registrySchema: 'residency' } });
  return { slug: 'runtime', phase: 'remote', blocks: [lock, ...blocks], changes, destructive: [], creates };
}

const join = (...parts: string[]) => parts.filter((p) => p !== '').join('\n\n');

function recordedText(input: RuntimeInput, id: string, file: string): { up: string; down: string } {
  const content = input.readFile(file);
  const up = markedSection(content, id, 'up');
  const down = markedSection(content, id, 'down');
  if (up === undefined || down === undefined)
    throw new ResidencyError(
      'CHECKSUM',
      `${file} does not hold the ${id} that state.json records; restore generated/ from version control`,
    );
  return { up, down };
}

/**
 * A history generated before runtime objects were recorded: the newest file
 * that created the object's functions, and from it the statements that
 * created (and granted) them and those that drop them, found by parsing.
 */
function legacyText(input: RuntimeInput, object: RuntimeObject): { up: string; down: string } {
  for (const name of [...input.files].reverse()) {
    if (!object.legacy.file(name)) continue;
    const found = legacyRuntimeSql(input.readFile(name), object.legacy.schema, object.legacy.names);
    if (found !== undefined) return found;
  }
  throw new ResidencyError(
    'CHECKSUM',
    `no generated file creates the ${object.id} that this region's history needs; restore generated/ from version control`,
  );
}
