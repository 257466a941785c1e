import type { BenchRegion } from './proxiedFleet.js';

/** The mixed fleet the runtime benchmark runs on: routing mode on 10, native on 11 and 18. */
export const BENCH_FLEET: readonly BenchRegion[] = [
  { name: 'usa', postgres: 10 },
  { name: 'gbr', postgres: 11 },
  { name: 'aus', postgres: 18 },
];
