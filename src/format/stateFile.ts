import { sqlExpr, sqlType } from '../config/columnGrammar.js';
import type { Column } from '../config/types.js';
import { ResidencyError } from '../errors.js';
import type { ApiShape } from '../plan/apiShape.js';
import type { FleetState } from '../plan/fleetState.js';

/** Beside each region's migrations: what they were generated from, so the next generation can append the difference. */
export const STATE_FILE = 'state.json';
export const STATE_FORMAT = 2;

/** A region's generated history, as `generated/<region>/state.json` records it. */
export interface StateFile {
  readonly format: typeof STATE_FORMAT;
  readonly region: string;
  /** The desired state the last step brought the region to. */
  readonly fleet: FleetState;
  /** Each entity's API as deployed (upsert parameters, row type attributes), by `schema.name`. */
  readonly shapes: Readonly<Record<string, ApiShape>>;
  /**
   * Each replaceable object (an entity's functions and types), by id: the file
   * whose up section creates it as deployed, and the sha256 of what the
   * templates rendered for it. A template change shows as a different hash.
   */
  readonly code: Readonly<Record<string, { readonly file: string; readonly sha256: string }>>;
  /**
   * How the region's functions write other regions: `two_phase` (dblink,
   * pg-residency 0.2); absent in a history generated before, which the next
   * gen-migrations upgrades by an appended step.
   */
  readonly writes?: 'two_phase';
  readonly steps: readonly {
    readonly step: number;
    readonly name: string;
    readonly files: readonly string[];
    /**
     * Its files that roll out to every region in one run (a column rename;
     * Contribution.together); absent in a step generated before it was recorded.
     */
    readonly together?: readonly string[];
  }[];
}

/** Stable JSON: the same state always gives the same bytes. */
export function renderState(state: StateFile): string {
  return `${JSON.stringify(state, null, 2)}\n`;
}

/** Parses a state file, or undefined when there is none. */
export function parseState(text: string | undefined, path: string): StateFile | undefined {
  if (text === undefined) return undefined;
  let parsed: { format?: unknown };
  try {
    parsed = JSON.parse(text) as { format?: unknown };
  } catch (error) {
    throw new ResidencyError('CONFIG', `${path} is not valid JSON; restore it from version control`, { cause: error });
  }
  if (parsed.format !== STATE_FORMAT) {
    throw new ResidencyError(
      'CONFIG',
      `${path} has format ${JSON.stringify(parsed.format)}; this pg-residency reads format ${STATE_FORMAT}. Format 1 came from pg-residency 0.1, whose histories cannot be extended: for a fleet without data, run \`pg-residency migrate down --all\`, then \`pg-residency gen-migrations --force\` and \`migrate up --all\`.`,
    );
  }
  return checkedTypes(parsed as StateFile, path);
}

/**
 * The state with every recorded column type and default checked against the
 * config's grammar (and so branded for the templates): a state.json edited by
 * hand cannot put SQL into a migration that regions.yaml could not.
 */
function checkedTypes(state: StateFile, path: string): StateFile {
  const refuse = (where: string, value: unknown): never => {
    throw new ResidencyError(
      'CONFIG',
      `${path}: ${where} ${JSON.stringify(value)} is not what regions.yaml's validation accepts; restore the file from version control`,
    );
  };
  const type = (where: string, value: unknown) => (typeof value === 'string' ? sqlType(value) : undefined) ?? refuse(where, value);
  const expr = (where: string, value: unknown) => (typeof value === 'string' ? sqlExpr(value) : undefined) ?? refuse(where, value);
  (state.fleet?.entities ?? []).forEach((entity, e) => {
    const columns: [string, Column][] = [
      [`fleet.entities[${e}].key`, entity.key],
      ...entity.mirrored.map((c, i): [string, Column] => [`fleet.entities[${e}].mirrored[${i}]`, c]),
      ...entity.resident.map((c, i): [string, Column] => [`fleet.entities[${e}].resident[${i}]`, c]),
    ];
    for (const [where, c] of columns) {
      type(`${where}.type`, c.type);
      if (c.default !== undefined && c.default !== null) expr(`${where}.default`, c.default);
    }
  });
  for (const [key, shape] of Object.entries(state.shapes ?? {})) {
    shape.params.forEach((p, i) => type(`shapes[${JSON.stringify(key)}].params[${i}].type`, p.type));
    shape.row.forEach((a, i) => type(`shapes[${JSON.stringify(key)}].row[${i}].type`, a.type));
  }
  return state;
}
