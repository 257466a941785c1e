import { performance } from 'node:perf_hooks';
import { loadTemplates } from '../src/render/loadTemplates.js';
import { benchGeneration } from './benchGeneration.js';
import { BENCH_FLEET } from './benchFleet.js';
import { benchRuntime } from './benchRuntime.js';
import type { BenchReport } from './formatResults.js';
import { machineInfo } from './machineInfo.js';
import type { RuntimePlan } from './runtimeOperations.js';

/** One-way delay between regions: a round trip of about 10 ms, a nearby-region WAN. */
export const DELAY_MS = 5;

/**
 * Iteration counts, chosen to keep the whole benchmark near 3 minutes on a
 * 2-core machine: the unbatched set-based upsert (one round trip per row and
 * region) dominates, and the 1000 single upserts are sampled and scaled.
 */
export const RUNTIME_PLAN: RuntimePlan = {
  warmup: 2,
  runs: 7,
  setRows: 1000,
  setRunsUnbatched: 3,
  setRunsBatched: 5,
  singleSample: 30,
  batchSize: 100,
};

export interface RunBenchOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (text: string) => void;
}

/**
 * The whole benchmark: generation first (before any server competes for the
 * CPU), then the runtime operations on a mixed fleet behind delay proxies.
 */
export async function runBench(options: RunBenchOptions = {}): Promise<BenchReport> {
  const startedAt = new Date();
  const start = performance.now();
  const machine = machineInfo();
  const progress = options.onProgress ?? (() => undefined);
  progress('generation: 10 regions × 10 entities');
  const generation = benchGeneration({ regions: 10, entities: 10, warmup: 1, runs: 5, templates: await loadTemplates(), targetMs: 1000 });
  options.signal?.throwIfAborted();
  const runtime = await benchRuntime({
    regions: BENCH_FLEET,
    delayMs: DELAY_MS,
    plan: RUNTIME_PLAN,
    signal: options.signal,
    onProgress: progress,
  });
  return { startedAt, elapsedMs: performance.now() - start, machine, generation, runtime };
}
