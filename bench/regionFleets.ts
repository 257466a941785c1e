import type { BenchRegion } from './proxiedFleet.js';

/**
 * The fleets of the region-count benchmark. Only PostgreSQL 10, 11 and 18 are
 * installed, so the majors repeat; usa stays on 10 (routing mode) and is the
 * region every call is made in, gbr (11) the other owner.
 */
const ALL: readonly BenchRegion[] = [
  { name: 'usa', postgres: 10 },
  { name: 'gbr', postgres: 11 },
  { name: 'aus', postgres: 18 },
  { name: 'can', postgres: 18 },
  { name: 'deu', postgres: 11 },
  { name: 'fra', postgres: 10 },
  { name: 'jpn', postgres: 18 },
];

/** The first `count` regions of the benchmark's list. */
export function regionFleet(count: number): readonly BenchRegion[] {
  if (count < 2 || count > ALL.length) throw new RangeError(`a fleet of ${count} regions: the benchmark knows 2 to ${ALL.length}`);
  return ALL.slice(0, count);
}
