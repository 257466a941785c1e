import type { ReadFigure, ReadsResult } from './benchReads.js';

const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
const ratio = (v: number) => (v >= 10 ? v.toFixed(0) : v.toFixed(1));
const kb = (bytes: number) => (bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e3).toFixed(1)} KB`);

/** One cell: time, its ratios to floor A and to the local database, round trips and bytes received. */
function cell(f: ReadFigure | undefined): string {
  if (f === undefined) return 'n/a';
  return `${ms(f.medianMs)} ms (**${ratio(f.medianMs / f.floorMs)}x A**, ${ratio(f.medianMs / Math.max(f.localMs, 0.01))}x local); ${f.maxRoundTrips}/${f.roundTrips} RT; ${kb(f.bytesReceived)}`;
}

/**
 * The read suite's table, as README's "Reading across regions" shows it: one
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
    'Each cell: median time (ratio to floor A, ratio to the same question on one local database holding every region); round trips of the busiest other region / of all; bytes the other regions sent to the caller.',
    '',
    `| read | ${callers.map((c) => `from ${c} (PostgreSQL ${majorOf(c)})`).join(' | ')} |`,
    `| --- | ${callers.map(() => '---').join(' | ')} |`,
    ...ids.map((id) => {
      const label = result.figures.find((f) => f.id === id)!.label;
      return `| ${label} | ${callers.map((c) => cell(result.figures.find((f) => f.id === id && f.from === c))).join(' | ')} |`;
    }),
  ];
  for (const s of result.skipped) lines.push('', `Not run from ${s.from}: ${s.id} (${s.why}).`);
  for (const f of result.failures) lines.push('', `FAILED from ${f.from}: ${f.id}: ${f.message}`);
  return `${lines.join('\n')}\n`;
}
