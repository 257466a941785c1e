import { loadavg } from 'node:os';
import type { LoadOp, LoadOptions } from './benchLoad.js';
import { DELAY_MS } from './runBench.js';

/**
 * The load suite's plan: 3 and 5 regions, 1, 4, 16 and 32 clients per region,
 * 10 s per cell, a new session's first write on 3 and 7 regions with and
 * without poolers; `BENCH_LOAD_SHORT=1`: 3 regions, 1, 4 and 16 clients, 3 s.
 * `BENCH_LOAD_FIRST_ONLY=1`: only the first writes. One cell or a few, no first writes:
 * `BENCH_LOAD_CLIENTS=32 BENCH_LOAD_FROM=all` (one, all) `BENCH_LOAD_OPS=upsert` (upsert,
 * floor-fdw) `BENCH_LOAD_REGIONS=3`; `BENCH_LOAD_DIAGNOSE=1` reports per cell where the CPU went
 * and what backends and poolers waited on. `BENCH_LOAD_OPS=upsert,upsert-ungated,floor-fdw` measures the writes with and without the gate on writes in flight in one run (A/B), `upsert-gate-<n>` with every gate at n, `upsert@<file.sql>` after running the file (function definitions, CREATE OR REPLACE) in every region (an A/B of the write functions in one fleet); `BENCH_WRITES_IN_FLIGHT` sets the gate (default 2 x pool_size).
 * `BENCH_LOAD_PAIRS` (default 3, 1 for a short suite or chosen cells): runs of the write and the fdw transaction, alternating, at the largest concurrency from all regions (the 3 x 32 target's cell), reported as the median.
 * `BENCH_LOAD_PAUSE` (seconds): rest before every cell but a fleet's first (does a fleet's throughput come back after a pause?).
 * `BENCH_LOAD_SECONDS` and `BENCH_POOL_SIZE` override the cell time and the pool size (4: the dev servers' max_connections of 60 hold 5 regions x 4 link sessions beside 32 clients).
 */
export function loadOptions(env: NodeJS.ProcessEnv): Omit<LoadOptions, 'signal' | 'onProgress'> {
  const short = env.BENCH_LOAD_SHORT === '1';
  const list = (name: string) => (env[name] === undefined || env[name] === '' ? undefined : env[name].split(',').map((x) => x.trim()));
  const cells = list('BENCH_LOAD_CLIENTS') !== undefined || list('BENCH_LOAD_REGIONS') !== undefined;
  return {
    counts: list('BENCH_LOAD_REGIONS')?.map(Number) ?? (env.BENCH_LOAD_FIRST_ONLY === '1' ? [] : short ? [3] : [3, 5]),
    clients: list('BENCH_LOAD_CLIENTS')?.map(Number) ?? (short ? [1, 4, 16] : [1, 4, 16, 32]),
    ...(list('BENCH_LOAD_FROM') ? { from: list('BENCH_LOAD_FROM') as ('one' | 'all')[] } : {}),
    ...(list('BENCH_LOAD_OPS') ? { ops: list('BENCH_LOAD_OPS') as LoadOp[] } : {}),
    diagnose: env.BENCH_LOAD_DIAGNOSE === '1',
    pairs: Number(env.BENCH_LOAD_PAIRS ?? (short || cells ? 1 : 3)),
    ...(env.BENCH_LOAD_PAUSE ? { pauseSeconds: Number(env.BENCH_LOAD_PAUSE) } : {}),
    seconds: Number(env.BENCH_LOAD_SECONDS ?? (short ? 3 : 10)),
    delayMs: DELAY_MS,
    poolSize: Number(env.BENCH_POOL_SIZE ?? 4),
    ...(env.BENCH_WRITES_IN_FLIGHT ? { writesInFlight: Number(env.BENCH_WRITES_IN_FLIGHT) } : {}),
    firstCallCounts: cells ? [] : short ? [3] : [3, 7],
  };
}

/** The 1, 5 and 15 minute load averages, for the report. */
export function loadAverage(): string {
  return loadavg()
    .map((n) => n.toFixed(2))
    .join(', ');
}
