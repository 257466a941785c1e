import type { Env } from '../config/expandEnv.js';
import { performance } from 'node:perf_hooks';
import type { Config, Region } from '../config/types.js';
import { derivedNames } from '../config/derivedNames.js';
import type { ResidencyError } from '../errors.js';
import { qualified } from '../sql/quote.js';
import { regionError, withRegion } from './connect.js';
import { selectRegions } from './migrateFleet.js';

export interface RegionSyncResult {
  readonly region: string;
  /** Per entity (`schema.name`): rows replayed, and rows still queued for regions that are unreachable. */
  readonly entities: readonly { readonly entity: string; readonly replayed: number; readonly pending: number }[];
  readonly error?: ResidencyError;
}

/** Options of {@link syncFleet}. */
export interface SyncOptions {
  /** Called as each region finishes, with its result and how long it took. */
  readonly onRegion?: (result: RegionSyncResult, elapsedMs: number) => void;
}

/**
 * Replays, in each region, the directory writes its functions queued for
 * regions that were unreachable (`<schema>.sync_<entity>()`), and reports what
 * is still queued. One unreachable region does not stop the others.
 */
export async function syncFleet(
  config: Config,
  names: readonly string[],
  all: boolean,
  env: Env,
  options: SyncOptions = {},
): Promise<RegionSyncResult[]> {
  const regions = selectRegions(config, names, all);
  const started = performance.now();
  return Promise.all(
    regions.map(async (region) => {
      const result = await syncRegion(config, region, env);
      options.onRegion?.(result, performance.now() - started);
      return result;
    }),
  );
}

async function syncRegion(config: Config, region: Region, env: Env): Promise<RegionSyncResult> {
  try {
    return await withRegion(
      region,
      env,
      async (client) => {
        const entities = [];
        for (const entity of config.entities) {
          const names = derivedNames(entity.name);
          // two statements: within one, the count would see the rows before sync removed them
          const replayed = await client.query<{ n: string }>(`SELECT ${qualified(entity.schema, names.sync)}() AS n`);
          const pending = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${qualified(entity.schema, names.outbox)}`);
          entities.push({
            entity: `${entity.schema}.${entity.name}`,
            replayed: Number(replayed.rows[0]?.n),
            pending: Number(pending.rows[0]?.n),
          });
        }
        return { region: region.name, entities };
      },
      { purpose: 'sync' },
    );
  } catch (error) {
    return { region: region.name, entities: [], error: regionError(region.name, error) };
  }
}
