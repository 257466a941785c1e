import type { Env } from '../config/expandEnv.js';
import type { Config } from '../config/types.js';
import type { ResidencyError } from '../errors.js';
import { appliedMigrations } from './appliedMigrations.js';
import { regionError, REGION_QUERY_TIMEOUT_MS, withRegion } from './connect.js';
import { selectRegions } from './migrateFleet.js';
import { stalePreparedSql } from './preparedParts.js';
import { readRegionMigrations } from './regionMigrations.js';

export interface RegionStatus {
  readonly region: string;
  readonly applied: readonly string[];
  readonly pending: readonly string[];
  /** Applied in the database but absent from generated/. */
  readonly unknown: readonly string[];
  /** Applied, then edited on disk. */
  readonly modified: readonly string[];
  /**
   * Parts of two-phase writes prepared here over a minute ago
   * (preparedParts.ts): a crash left them; `pg-residency resolve` finishes them.
   */
  readonly stalePrepared: number;
  readonly error?: ResidencyError;
}

/** Whether a status needs attention: `migrate status` exits non-zero then. */
export function needsAttention(s: RegionStatus): boolean {
  return s.error !== undefined || s.pending.length > 0 || s.unknown.length > 0 || s.modified.length > 0 || s.stalePrepared > 0;
}

/** Applied, pending, unknown and edited migrations of each region; one unreachable region does not hide the others. */
export async function statusFleet(config: Config, names: readonly string[], all: boolean, dir: string, env: Env): Promise<RegionStatus[]> {
  const regions = selectRegions(config, names, all);
  return Promise.all(
    regions.map(async (region): Promise<RegionStatus> => {
      const empty = { region: region.name, applied: [], pending: [], unknown: [], modified: [], stalePrepared: 0 };
      try {
        const migrations = await readRegionMigrations(dir, region.name);
        return await withRegion(
          region,
          env,
          async (client) => {
            const applied = await appliedMigrations(client);
            const files = new Map(migrations.files.map((f) => [f.name, f]));
            const appliedNames = new Set(applied.map((a) => a.name));
            const prepared = await client.query(stalePreparedSql());
            return {
              stalePrepared: prepared.rowCount ?? 0,
              region: region.name,
              applied: applied.filter((a) => files.has(a.name)).map((a) => a.name),
              pending: migrations.files.filter((f) => !appliedNames.has(f.name)).map((f) => f.name),
              unknown: applied.filter((a) => !files.has(a.name)).map((a) => a.name),
              modified: applied
                .filter((a) => a.sha256 !== undefined && files.has(a.name) && files.get(a.name)!.sha256 !== a.sha256)
                .map((a) => a.name),
            };
          },
          { purpose: 'status', queryTimeoutMs: REGION_QUERY_TIMEOUT_MS },
        );
      } catch (error) {
        return { ...empty, error: regionError(region.name, error) };
      }
    }),
  );
}
