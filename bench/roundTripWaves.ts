/**
 * How many of a read's round trips follow one another: the times (ms) at
 * which requests left the caller for any other region, grouped into waves,
 * a request that leaves within `overlapMs` of the first of the current wave
 * joining it (it was sent before the wave's answers could come back, so it
 * costs no round trip of its own). With every region asked at once this is
 * 1; with postgres_fdw reading the regions one after the other it is the
 * sum of their round trips.
 * Pure.
 * @example roundTripWaves([0, 0.2, 11, 22, 22.1], 5) // 3
 */
export function roundTripWaves(times: readonly number[], overlapMs: number): number {
  let waves = 0;
  let start = Number.NEGATIVE_INFINITY;
  for (const t of [...times].sort((a, b) => a - b)) {
    if (t - start < overlapMs) continue;
    waves += 1;
    start = t;
  }
  return waves;
}
