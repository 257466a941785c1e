import type pg from 'pg';
import { measureOperation } from './measureOperation.js';
import { startProxiedFleet } from './proxiedFleet.js';
import { regionFleet } from './regionFleets.js';
import { regionOperations, type RegionPlan } from './regionOperations.js';

/** One operation measured on a fleet of `regions` regions, in a form that can be recorded (JSON). */
export interface RegionFigure {
  readonly id: string;
  readonly label: string;
  readonly regions: number;
  readonly from: string;
  readonly n: number;
  readonly medianMs: number;
  /** Round trips received by all other regions together (median over runs). */
  readonly roundTrips: number;
  /** The most round trips one region received: the sequential depth when regions are reached in parallel. */
  readonly maxPerRegion: number;
}

export interface RegionsResult {
  readonly delayMs: number;
  /** The PostgreSQL version of each region of the largest fleet. */
  readonly servers: readonly string[];
  readonly figures: readonly RegionFigure[];
  readonly failures: readonly { readonly regions: number; readonly id: string; readonly message: string }[];
}

export interface RegionsInput {
  readonly counts: readonly number[];
  readonly delayMs: number;
  /** The plan for a fleet of `count` regions (batches usually only on the smallest). */
  readonly plan: (count: number) => RegionPlan;
  readonly signal?: AbortSignal;
  readonly onProgress?: (text: string) => void;
}

/**
 * For each region count, starts a proxied fleet (see regionFleets.ts), measures
 * the floors, the single calls and the batches of {@link regionOperations} on
 * it, and stops it. A failing operation is recorded and the next one runs.
 */
export async function benchRegions(input: RegionsInput): Promise<RegionsResult> {
  const progress = input.onProgress ?? (() => undefined);
  const figures: RegionFigure[] = [];
  const failures: { regions: number; id: string; message: string }[] = [];
  let servers: string[] = [];
  for (const count of input.counts) {
    input.signal?.throwIfAborted();
    const regions = regionFleet(count);
    progress(`${count} regions: starting ${regions.map((r) => `${r.name} (${r.postgres})`).join(', ')}`);
    const fleet = await startProxiedFleet({ regions, delayMs: input.delayMs });
    try {
      const names = regions.map((r) => r.name);
      const clients: Record<string, pg.Client> = {};
      const proxied: Record<string, pg.Client> = {};
      servers = [];
      for (const r of names) {
        clients[r] = await fleet.client(r);
        const [row] = (await clients[r].query<{ server_version: string }>('SHOW server_version')).rows;
        servers.push(`${r} ${row?.server_version ?? '?'}`);
        if (r !== 'usa') proxied[r] = await fleet.proxiedClient(r);
      }
      const operations = regionOperations({ clients, proxied, regions: names, caller: 'usa', other: 'gbr', plan: input.plan(count) });
      for (const operation of operations) {
        input.signal?.throwIfAborted();
        progress(`${count} regions: ${operation.label}`);
        try {
          const m = await measureOperation(fleet, operation, input.signal);
          figures.push({
            id: operation.id,
            label: operation.label,
            regions: count,
            from: operation.from,
            n: m.n,
            medianMs: m.medianMs,
            roundTrips: m.roundTrips.median,
            maxPerRegion: Math.max(...Object.values(m.perRegion)),
          });
        } catch (error) {
          if (input.signal?.aborted) throw error;
          const message = error instanceof Error ? error.message : String(error);
          failures.push({ regions: count, id: operation.id, message });
          progress(`  failed: ${message}`);
        }
      }
    } finally {
      await fleet.stop();
    }
  }
  return { delayMs: input.delayMs, servers, figures, failures };
}
