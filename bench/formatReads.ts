import type { ReadFigure, ReadsResult } from './benchReads.js';

const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
const ratio = (v: number) => (v >= 10 ? v.toFixed(0) : v.toFixed(1));
const kb = (bytes: number) => (bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e3).toFixed(1)} KB`);

/** One cell: time, its ratios to floor A and to the local database, round trips and bytes received. */
function cell(f: ReadFigure | undefined): string {
  if (f === undefined) return 'n/a';
  return `${ms(f.medianMs)} ms (**${ratio(f.medianMs / f.floorMs)}x A**, ${ratio(f.medianMs / Math.max(f.localMs, 0.01))}x local); ${f.maxRoundTrips}/${f.roundTrips} RT${f.sequentialRoundTrips === undefined ? '' : ` (${f.sequentialRoundTrips} in sequence)`}; ${kb(f.bytesReceived)}`;
}

/**
 * The reads docs/guides/reading.md recommends, each for its question (the
 * read API, the directory, partitionwise GROUP BY): issue 21 wants each under
 * 10x floor A. A count by a mirrored condition is the directory's
 * (directory-count), not count_by_region's (count-by-region-mirrored, kept
 * in the table to show the difference). The partitionwise GROUP BY is
 * recommended from PostgreSQL 14 on only (before, postgres_fdw reads the
 * regions one after the other: 5 round trips each in sequence).
 */
const RECOMMENDED = ['get-many', 'count-by-region', 'count-by-region-personal', 'find', 'directory-count', 'parent-group-pw'];
const recommended = (f: ReadFigure) => RECOMMENDED.includes(f.id) && (f.id !== 'parent-group-pw' || f.major >= 14);

/**
 * Issue 21's targets, checked on one run: one line each, `met` or `NOT met`
 * with the worst figure.
 * Pure.
 */
export function readTargets(result: ReadsResult): string[] {
  const worst = (ids: readonly string[] | ((f: ReadFigure) => boolean)) =>
    result.figures
      .filter((f) => (typeof ids === 'function' ? ids(f) : ids.includes(f.id)))
      .reduce<ReadFigure | undefined>((a, f) => (a === undefined || f.medianMs / f.floorMs > a.medianMs / a.floorMs ? f : a), undefined);
  const check = (what: string, ids: readonly string[] | ((f: ReadFigure) => boolean), limit: number) => {
    const f = worst(ids);
    if (f === undefined) return `- ${what}: not measured`;
    const r = f.medianMs / f.floorMs;
    return `- ${what} <= ${limit}x floor A: ${r <= limit ? 'met' : 'NOT met'} (worst ${ratio(r)}x, ${f.id} from ${f.from})`;
  };
  return [
    check('`get_identity_many` of 100 keys', ['get-many'], 1.5),
    check('count by region', ['count-by-region'], 3),
    check('a page of 100 by a mirrored filter, with details', ['find'], 3),
    check('every recommended read (the partitionwise `GROUP BY` from 14+)', recommended, 10),
  ];
}

/**
 * The read suite's table, as docs/guides/reading.md shows it: one
 * row per read, one column per calling region.
 * Pure.
 */
export function formatReads(result: ReadsResult): string {
  const callers = [...new Set(result.figures.map((f) => f.from))];
  const majorOf = (caller: string) => result.figures.find((f) => f.from === caller)?.major;
  const ids = [...new Set(result.figures.map((f) => f.id))];
  const lines = [
    `Read suite: ${result.figures[0]?.regions ?? '?'} regions (${result.servers.join(', ')}), ${result.peoplePerRegion.toLocaleString('en-US')} people per region (loaded in ${(result.loadMs / 1000).toFixed(0)} s), ${result.delayMs} ms each way between regions.`,
    `Floor A (one round trip to every other region at once): ${callers.map((c) => `${ms(result.figures.find((f) => f.from === c)!.floorMs)} ms from ${c}`).join(', ')}.`,
    ...(result.machine === undefined
      ? []
      : [
          `Machine: ${result.machine.cores} cores, 1-minute load average ${result.machine.loadStart.toFixed(1)} at the start and ${result.machine.loadEnd.toFixed(1)} at the end (other work on the machine slows the CPU-bound part of each read; the ratios are within this run).`,
        ]),
    'Each cell: median time (ratio to floor A, ratio to the same question on one local database holding every region); round trips of the busiest other region / of all (how many of them follow one another: the others overlap); bytes the other regions sent to the caller.',
    '',
    `| read | ${callers.map((c) => `from ${c} (PostgreSQL ${majorOf(c)})`).join(' | ')} |`,
    `| --- | ${callers.map(() => '---').join(' | ')} |`,
    ...ids.map((id) => {
      const label = result.figures.find((f) => f.id === id)!.label;
      return `| ${label} | ${callers.map((c) => cell(result.figures.find((f) => f.id === id && f.from === c))).join(' | ')} |`;
    }),
  ];
  lines.push('', 'Targets (issue 21):', ...readTargets(result));
  for (const from of [...new Set(result.skipped.map((s) => s.from))]) {
    const skipped = result.skipped.filter((s) => s.from === from).map((s) => `${s.id} (${s.why})`);
    lines.push('', `Not run from ${from}: ${skipped.join('; ')}.`);
  }
  for (const f of result.failures) lines.push('', `FAILED from ${f.from}: ${f.id}: ${f.message}`);
  return `${lines.join('\n')}\n`;
}
