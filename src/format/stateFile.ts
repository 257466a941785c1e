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
  readonly steps: readonly { readonly step: number; readonly name: string; readonly files: readonly string[] }[];
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
  return parsed as StateFile;
}
