import type { BulkResult } from './benchBulk.js';
import { BULK_TARGET } from './benchBulk.js';
import type { LoadResult } from './benchLoad.js';
import type { ReadsResult } from './benchReads.js';
import type { RegionsResult } from './benchRegions.js';
import { bulkRatio, bulkVerdict } from './formatBulk.js';
import { abortShare, callersOf, LINKS, loadRows, ms as loadMs, pairsNote, perSecondOf, roundTrips, throughputRatio } from './formatLoad.js';
import { floorsA, readCallers, readRows, readTargets, ms as readMs, ratio as readRatio } from './formatReads.js';
import { find, ms as regionMs, ratio as regionRatio } from './formatRegions.js';
import { table } from './markdownTable.js';

/** What one full `npm run bench` measured, for README's benchmarks section; a suite skipped by a flag is undefined. */
export interface ReadmeBenchInput {
  /** The day of the run, yyyy-mm-dd. */
  readonly date: string;
  /** The machine's cores. */
  readonly cores: number;
  readonly regions: RegionsResult | undefined;
  /** The read suite at 3 regions. */
  readonly reads: ReadsResult | undefined;
  readonly load: LoadResult | undefined;
  readonly bulk: BulkResult | undefined;
}

/** The single write of the writes table and the chart: a new person, upsert_identity called in its owner. */
const SINGLE_WRITE = 'upsert-new-owner';

/** Single write, floor and the hand-written postgres_fdw transaction per fleet size, the ratios as formatRegions prints them. */
function writes(result: RegionsResult): string[] {
  const f = result.figures;
  const counts = [...new Set(f.map((x) => x.regions))].sort((a, b) => a - b);
  const vsFloor = (id: string, n: number) => {
    const x = find(f, id, n);
    const floor = find(f, 'floor-parallel', n);
    if (x === undefined) return '-';
    return floor === undefined || floor.medianMs === 0
      ? `${regionMs(x.medianMs)} ms`
      : `${regionMs(x.medianMs)} ms (${regionRatio(x.medianMs / floor.medianMs)}x floor)`;
  };
  return [
    '**Writes**: a new person, `upsert_identity` called in its owner, against the floor (one round trip to every other region, in parallel) and against the same write by hand in one postgres_fdw transaction:',
    '',
    table(
      ['regions', 'floor', '`upsert_identity`', 'by hand through postgres_fdw'],
      counts.map((n) => {
        const floor = find(f, 'floor-parallel', n);
        return [String(n), floor === undefined ? '-' : `${regionMs(floor.medianMs)} ms`, vsFloor(SINGLE_WRITE, n), vsFloor('floor-fdw', n)];
      }),
    ),
    '',
    '![single write by fleet size](docs/bench-regions.svg)',
  ];
}

/** Each load cell's throughput beside the fdw transaction of the same cell, latency, false aborts and what one region held. */
function underLoad(load: LoadResult): string[] {
  if (load.cells.length === 0) return [];
  const pairs = pairsNote(load.cells);
  return [
    `**Under load**: fresh keys through a link pooler beside every region (pool_size ${load.poolSize}), ${load.seconds} s per cell, beside the hand-written postgres_fdw transaction of the same cell; 40001: the share of writes that gave way to another (false aborts)${pairs === '' ? ':' : `.${pairs.replace(/\.$/, ':')}`}`,
    '',
    table(
      [
        'regions',
        'from',
        'clients/region',
        'upsert/s',
        'fdw tx/s',
        'ratio',
        'upsert p50 / p99 ms',
        '40001',
        'link sessions (max/region)',
        'prepared (max/region)',
      ],
      loadRows(load).map(({ write: w, fdw: f }) => [
        String(w.regions),
        callersOf(w),
        String(w.clientsPerRegion),
        perSecondOf(w),
        f ? perSecondOf(f) : '-',
        throughputRatio(w, f),
        `${loadMs(w.p50)} / ${loadMs(w.p99)}`,
        abortShare(w),
        String(w.linkSessions),
        String(w.prepared),
      ]),
    ),
  ];
}

/** A new session's first write minus a warm write, in round trips, per fleet size and kind of link. */
function firstWrites(load: LoadResult): string[] {
  if (load.firstCalls.length === 0) return [];
  const counts = [...new Set(load.firstCalls.map((f) => f.regions))].sort((a, b) => a - b);
  const at = counts.map(
    (n) =>
      `${n} regions: ${load.firstCalls
        .filter((f) => f.regions === n)
        .map(
          (f) =>
            `${f.sessions === 'app-pooler' ? `sessions through an application pooler (links: ${LINKS[f.links]})` : LINKS[f.links]} ${roundTrips(f.firstMs - f.warmMs, load.delayMs)}`,
        )
        .join(', ')}`,
  );
  return [`A new session's first write, beyond a warm one (RT: a round trip, ${2 * load.delayMs} ms): ${at.join('; ')}.`];
}

/** Updating existing keys against inserting them, the median of the rounds as formatBulk states it. */
function bulkLine(bulk: BulkResult): string[] {
  const ratio = bulkRatio(bulk);
  if (ratio === undefined) return [];
  const rows = bulk.rows.toLocaleString('en-US');
  return [
    `Bulk: ${rows} updates of existing keys took ${ratio.toFixed(2)}x inserting ${rows} new ones (\`upsert_identity_many\`, ${bulk.rounds.length === 1 ? 'one round' : `median of ${bulk.rounds.length} rounds`}; target at most ${BULK_TARGET}x: ${bulkVerdict(ratio)}).`,
  ];
}

/** One row per read, one column per caller: time and its ratio to floor A; then the read targets as bench/RESULTS.md states them. */
function reading(result: ReadsResult): string[] {
  return [
    `**Reading across regions**: ${result.figures[0]?.regions ?? '?'} regions, ${result.peoplePerRegion.toLocaleString('en-US')} people per region; each read's median time and its ratio to floor A, one round trip to every other region at once (${floorsA(result)}); in bold the reads the [guide](docs/guides/reading.md) recommends:`,
    '',
    table(
      ['read', ...readCallers(result).map((c) => c.heading)],
      readRows(result).map((row) => [
        row.label,
        ...row.cells.map((f) => (f === undefined ? 'n/a' : `${readMs(f.medianMs)} ms (${readRatio(f.medianMs / f.floorMs)}x A)`)),
      ]),
    ),
    '',
    'Targets:',
    '',
    ...readTargets(result),
  ];
}

/** The suites whose failures bench/RESULTS.md lists. */
function failures(input: ReadmeBenchInput): string[] {
  const failed = [
    (input.regions?.failures.length ?? 0) > 0 ? `${input.regions!.failures.length} of the writes` : undefined,
    (input.reads?.failures.length ?? 0) > 0 ? `${input.reads!.failures.length} of the reads` : undefined,
    (input.load?.failures.length ?? 0) > 0 ? `${input.load!.failures.length} under load` : undefined,
    input.bulk?.failure === undefined ? undefined : 'the bulk suite',
  ].filter((x) => x !== undefined);
  return failed.length === 0 ? [] : [`**Failed in this run**: ${failed.join(', ')}; bench/RESULTS.md says what.`];
}

/**
 * README's benchmarks section (between its bench markers, without a
 * heading) from the results of one `npm run bench`: the single write against
 * its floors at each fleet size with the chart, the writes under load, the
 * first writes and the bulk ratio, the reads at 3 regions with their targets,
 * then links to the full tables. A suite left undefined is left out. Pure.
 */
export function formatReadmeBench(input: ReadmeBenchInput): string {
  const delayMs = input.regions?.delayMs ?? input.reads?.delayMs ?? input.load?.delayMs ?? input.bulk?.delayMs;
  const sections = [
    [
      `Measured on ${input.cores} cores${delayMs === undefined ? '' : `, ${delayMs} ms each way between regions through delay proxies`}, in one \`npm run bench\` on ${input.date}.`,
    ],
    input.regions === undefined ? [] : writes(input.regions),
    input.load === undefined ? [] : underLoad(input.load),
    input.load === undefined ? [] : firstWrites(input.load),
    input.bulk === undefined ? [] : bulkLine(input.bulk),
    input.reads === undefined ? [] : reading(input.reads),
    failures(input),
    [
      'The full tables: [bench/RESULTS.md](bench/RESULTS.md), [bench/RESULTS-reads-5.md](bench/RESULTS-reads-5.md) (reads at 5 regions); what they measure: [docs/benchmarks.md](docs/benchmarks.md), [docs/guides/reading.md](docs/guides/reading.md).',
    ],
  ].filter((lines) => lines.length > 0);
  return `${sections.map((lines) => lines.join('\n')).join('\n\n')}\n`;
}
