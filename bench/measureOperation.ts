import { performance } from 'node:perf_hooks';
import { median } from './median.js';
import type { Operation } from './operation.js';
import type { ProxiedFleet } from './proxiedFleet.js';

/** The result of measuring one {@link Operation}. */
export interface Measurement {
  readonly operation: Operation;
  /** Timed runs. */
  readonly n: number;
  /** Median wall time seen by the client, scaled. */
  readonly medianMs: number;
  /** Median round trips over all proxies, scaled; min and max show whether runs differed. */
  readonly roundTrips: { readonly median: number; readonly min: number; readonly max: number };
  /** Median round trips per region (received by the proxy in front of it), in regions.yaml order; scaled. */
  readonly perRegion: Readonly<Record<string, number>>;
  /** postgres_fdw connections opened during the timed runs, summed. */
  readonly newConnections: number;
  /** The requests each remote region received during the last timed run. */
  readonly trace: Readonly<Record<string, readonly string[]>>;
}

/**
 * Runs an operation's warm-up and timed iterations one after another on the
 * fleet, reading the proxies' counters around each. Stops between iterations
 * when `signal` is aborted.
 */
export async function measureOperation(fleet: ProxiedFleet, operation: Operation, signal?: AbortSignal): Promise<Measurement> {
  const regions = fleet.config.regions.map((r) => r.name);
  const work = await operation.prepare(operation.warmup + operation.runs);
  const times: number[] = [];
  const totals: number[] = [];
  const perRegion: Record<string, number[]> = Object.fromEntries(regions.map((r) => [r, []]));
  let newConnections = 0;
  let trace: Record<string, string[]> = {};
  for (const [i, run] of work.entries()) {
    signal?.throwIfAborted();
    const before = fleet.counters();
    const start = performance.now();
    await run();
    const ms = performance.now() - start;
    const after = fleet.counters();
    if (i < operation.warmup) continue;
    times.push(ms);
    let total = 0;
    for (const r of regions) {
      const trips = after[r]!.roundTrips - before[r]!.roundTrips;
      perRegion[r]!.push(trips);
      total += trips;
      newConnections += after[r]!.connections - before[r]!.connections;
    }
    totals.push(total);
    trace = Object.fromEntries(regions.map((r) => [r, fleet.trace(r, before[r]!.roundTrips)]));
  }
  const factor = operation.scale?.factor ?? 1;
  return {
    operation,
    n: times.length,
    medianMs: median(times) * factor,
    roundTrips: { median: median(totals) * factor, min: Math.min(...totals) * factor, max: Math.max(...totals) * factor },
    perRegion: Object.fromEntries(regions.map((r) => [r, median(perRegion[r]!) * factor])),
    newConnections,
    trace,
  };
}
