import type { Env } from '../config/expandEnv.js';
import type { Config } from '../config/types.js';
import { derivedNames } from '../config/derivedNames.js';
import { ResidencyError } from '../errors.js';
import { qualified } from '../sql/quote.js';
import { connectRegion } from './connect.js';
import { selectRegions } from './migrateFleet.js';

export interface RegionSyncResult {
  readonly region: string;
  /** Per entity (`schema.name`): rows replayed, and rows still queued for regions that are unreachable. */
  readonly entities: readonly { readonly entity: string; readonly replayed: number; readonly pending: number }[];
  readonly error?: ResidencyError;
}

/**
 * Replays, in each region, the directory writes its functions queued for
 * regions that were unreachable (`<schema>.sync_<entity>()`), and reports what
 * is still queued. One unreachable region does not stop the others.
 */
export async function syncFleet(config: Config, names: readonly string[], all: boolean, env: Env): Promise<RegionSyncResult[]> {
  const regions = selectRegions(config, names, all);
  return Promise.all(
    regions.map(async (region): Promise<RegionSyncResult> => {
      try {
        const client = await connectRegion(region, env);
        try {
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
        } finally {
          await client.end().catch(() => undefined);
        }
      } catch (error) {
        return {
          region: region.name,
          entities: [],
          error:
            error instanceof ResidencyError
              ? error
              : new ResidencyError('MIGRATION', `region "${region.name}": ${(error as Error).message}`, { cause: error }),
        };
      }
    }),
  );
}
