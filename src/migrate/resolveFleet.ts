import type { Env } from '../config/expandEnv.js';
import { performance } from 'node:perf_hooks';
import type { Config, Region } from '../config/types.js';
import { REGISTRY_SCHEMA } from '../config/derivedNames.js';
import { ResidencyError } from '../errors.js';
import { qualified } from '../sql/quote.js';
import { connectRegion, REGION_QUERY_TIMEOUT_MS, regionError } from './connect.js';
import { selectRegions } from './migrateFleet.js';

/** What `residency.resolve()` did with one prepared part or commit record. */
export interface ResolvedPart {
  readonly gid: string;
  /** The region that coordinated the write. */
  readonly coordinator: string;
  readonly outcome: 'committed' | 'rolled back' | 'pending' | 'record deleted';
}

export interface RegionResolveResult {
  readonly region: string;
  readonly committed: number;
  readonly rolledBack: number;
  /** Prepared parts left: their coordinator is unreachable or still runs the write. */
  readonly pending: number;
  /** Spent commit records deleted (this region coordinated them). */
  readonly recordsDeleted: number;
  readonly parts: readonly ResolvedPart[];
  readonly error?: ResidencyError;
}

/** Options of {@link resolveFleet}. */
export interface ResolveOptions {
  /** Called as each region finishes, with its result and how long it took. */
  readonly onRegion?: (result: RegionResolveResult, elapsedMs: number) => void;
}

/**
 * Finishes two-phase writes left prepared (a coordinator or a region crashed
 * between PREPARE and COMMIT PREPARED): in each region, `residency.resolve()`
 * commits the parts whose coordinator recorded a commit, rolls back those it
 * did not and no longer runs, and deletes spent commit records. One
 * unreachable region does not stop the others.
 */
export async function resolveFleet(
  config: Config,
  names: readonly string[],
  all: boolean,
  env: Env,
  options: ResolveOptions = {},
): Promise<RegionResolveResult[]> {
  const regions = selectRegions(config, names, all);
  const started = performance.now();
  return Promise.all(
    regions.map(async (region) => {
      const result = await resolveRegion(region, env);
      options.onRegion?.(result, performance.now() - started);
      return result;
    }),
  );
}

async function resolveRegion(region: Region, env: Env): Promise<RegionResolveResult> {
  const empty = { region: region.name, committed: 0, rolledBack: 0, pending: 0, recordsDeleted: 0, parts: [] };
  try {
    const client = await connectRegion(region, env, { queryTimeoutMs: REGION_QUERY_TIMEOUT_MS });
    try {
      const { rows } = await client.query<ResolvedPart>(`SELECT gid, coordinator, outcome FROM ${qualified(REGISTRY_SCHEMA, 'resolve')}()`);
      const count = (outcome: ResolvedPart['outcome']) => rows.filter((r) => r.outcome === outcome).length;
      return {
        region: region.name,
        committed: count('committed'),
        rolledBack: count('rolled back'),
        pending: count('pending'),
        recordsDeleted: count('record deleted'),
        parts: rows.map((r) => ({ gid: r.gid, coordinator: r.coordinator, outcome: r.outcome })),
      };
    } finally {
      await client.end().catch(() => undefined);
    }
  } catch (error) {
    return {
      ...empty,
      error:
        error instanceof ResidencyError || (error as Error).message === 'Query read timeout'
          ? regionError(region.name, error)
          : new ResidencyError('MIGRATION', `region "${region.name}": ${(error as Error).message}`, { cause: error }),
    };
  }
}
