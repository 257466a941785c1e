import { loadavg } from 'node:os';
import type { LoadOptions } from './benchLoad.js';
import { DELAY_MS } from './runBench.js';

/**
 * The load suite's plan: 3 and 5 regions, 1, 4, 16 and 32 clients per region,
 * 10 s per cell, a new session's first write on 3 and 7 regions with and
 * without poolers; `BENCH_LOAD_SHORT=1`: 3 regions, 1, 4 and 16 clients, 3 s.
 * `BENCH_LOAD_FIRST_ONLY=1`: only the first writes. `BENCH_LOAD_SECONDS` and `BENCH_POOL_SIZE` override the cell time and the pool size (4: the dev servers' max_connections of 60 hold 5 regions x 4 link sessions beside 32 clients).
 */
export function loadOptions(env: NodeJS.ProcessEnv): Omit<LoadOptions, 'signal' | 'onProgress'> {
  const short = env.BENCH_LOAD_SHORT === '1';
  return {
    counts: env.BENCH_LOAD_FIRST_ONLY === '1' ? [] : short ? [3] : [3, 5],
    clients: short ? [1, 4, 16] : [1, 4, 16, 32],
    seconds: Number(env.BENCH_LOAD_SECONDS ?? (short ? 3 : 10)),
    delayMs: DELAY_MS,
    poolSize: Number(env.BENCH_POOL_SIZE ?? 4),
    firstCallCounts: short ? [3] : [3, 7],
  };
}

/** The 1, 5 and 15 minute load averages, for the report. */
export function loadAverage(): string {
  return loadavg()
    .map((n) => n.toFixed(2))
    .join(', ');
}
