import type { LoadCell } from './benchLoad.js';
import { median } from './median.js';

/**
 * One cell from several runs of it (alternating with the other operation of
 * the cell, so a drift of the machine or the fleet falls on both): writes per
 * second is the runs' median, each run's kept in `rates`; the percentiles
 * are the median run's; calls, false aborts and errors are summed; link
 * sessions and prepared transactions are the most any run saw. One run is
 * returned as it is.
 */
export function mergeRuns(runs: readonly LoadCell[]): LoadCell {
  if (runs.length === 0) throw new RangeError('no run to merge');
  if (runs.length === 1) return runs[0]!;
  const byRate = [...runs].sort((a, b) => a.perSecond - b.perSecond);
  const middle = byRate[Math.floor((byRate.length - 1) / 2)]!;
  const add = (records: readonly Readonly<Record<string, number>>[]) =>
    records.reduce<Record<string, number>>((sum, r) => {
      for (const [k, n] of Object.entries(r)) sum[k] = (sum[k] ?? 0) + n;
      return sum;
    }, {});
  return {
    ...middle,
    calls: runs.reduce((n, r) => n + r.calls, 0),
    perSecond: median(runs.map((r) => r.perSecond)),
    aborts: runs.reduce((n, r) => n + r.aborts, 0),
    errors: add(runs.map((r) => r.errors)),
    abortMessages: add(runs.map((r) => r.abortMessages)),
    linkSessions: Math.max(...runs.map((r) => r.linkSessions)),
    prepared: Math.max(...runs.map((r) => r.prepared)),
    rates: runs.map((r) => r.perSecond),
  };
}
