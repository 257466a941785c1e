// `npm run bench`: runs the benchmark, prints the report and writes it to
// bench/RESULTS.md, with the region chart in docs/bench-regions.svg, the read
// tables in bench/RESULTS-reads.md (3 regions) and RESULTS-reads-5.md, the load
// suite's in bench/RESULTS-load.md (as npm run bench:load writes it), and, when
// no suite README shows was skipped, README's benchmarks section (between its
// bench markers). Progress goes to stderr so that stdout is the report.
//
//   npm run bench                       every suite below; rewrites README's benchmarks section
//   npm run bench -- --regions-only     only the floors with 3, 5 and 7 regions
//   npm run bench -- --no-reads         without the read suite, 3 and 5 regions (npm run bench:reads runs it alone)
//   npm run bench -- --no-adopt         without the adopt suite (npm run bench:adopt runs it alone)
//   npm run bench -- --no-load          without the load suite (npm run bench:load runs it alone; BENCH_LOAD_SHORT=1: a short one)
//   npm run bench -- --no-bulk          without the bulk suite (npm run bench:bulk runs it alone; BULK_BENCH_ROWS, BULK_BENCH_BATCH, BULK_BENCH_ROUNDS)
//   npm run bench -- --record-today     measure the region figures on the functions of this checkout and
//                                       record them in bench/today.json (run on the design before two-phase commit)
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { benchLoad } from './benchLoad.js';
import { benchAdopt } from './benchAdopt.js';
import { benchBulk } from './benchBulk.js';
import { bulkOptions } from './bulkOptions.js';
import { formatBulk } from './formatBulk.js';
import { benchReads } from './benchReads.js';
import { formatLoad } from './formatLoad.js';
import { loadAverage, loadOptions } from './loadOptions.js';
import { benchRegions, type RegionFigure, type RegionsResult } from './benchRegions.js';
import { formatReadmeBench } from './formatReadme.js';
import { formatReads } from './formatReads.js';
import { formatRegions } from './formatRegions.js';
import { formatResults } from './formatResults.js';
import type { RegionPlan } from './regionOperations.js';
import { replaceReadmeBench } from './replaceReadmeBench.js';
import { settle } from './settle.js';
import { DELAY_MS, runBench } from './runBench.js';

const abort = new AbortController();
// Ctrl-C stops after the current iteration; the fleets and proxies are stopped.
process.once('SIGINT', () => abort.abort(new Error('interrupted')));
process.once('SIGTERM', () => abort.abort(new Error('terminated')));

const recordToday = process.argv.includes('--record-today');
const regionsOnly = recordToday || process.argv.includes('--regions-only');
/** Every suite README's benchmarks section shows runs: only then is the section rewritten, all of it from this run. */
const full = !regionsOnly && !['--no-reads', '--no-load', '--no-bulk'].some((flag) => process.argv.includes(flag));
const BATCH_ROWS = [1, 10, 100, 1000, 10_000];
/** The design before two-phase commit sends one round trip per row and remote from PostgreSQL 10: 10,000 rows took 292 s. */
const TODAY_PG10_ROWS = [1, 10, 100, 1000];

const regionPlan = (count: number): RegionPlan => ({
  warmup: 2,
  runs: 7,
  batches:
    count === 3
      ? [
          { from: 'usa', rows: recordToday ? TODAY_PG10_ROWS : BATCH_ROWS },
          { from: 'aus', rows: BATCH_ROWS },
        ]
      : [],
});

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const TODAY = here('./today.json');
const progress = (text: string) => process.stderr.write(`bench: ${text}\n`);
const README = here('../README.md');

try {
  // README's bench markers are checked before the suites, not 25 minutes later
  if (full) replaceReadmeBench(readFileSync(README, 'utf8'), '');
  const classic = regionsOnly ? undefined : await runBench({ signal: abort.signal, onProgress: progress });
  const regions: RegionsResult = await benchRegions({
    counts: [3, 5, 7],
    delayMs: DELAY_MS,
    plan: regionPlan,
    signal: abort.signal,
    onProgress: progress,
  });
  if (recordToday) {
    writeFileSync(
      TODAY,
      `${JSON.stringify({ recorded: new Date().toISOString(), delayMs: regions.delayMs, figures: regions.figures }, null, 2)}\n`,
    );
    progress(`wrote ${TODAY}`);
  }
  let today: RegionFigure[] = [];
  try {
    today = (JSON.parse(readFileSync(TODAY, 'utf8')) as { figures: RegionFigure[] }).figures;
  } catch {
    progress(`no ${TODAY}: the report has no "today" column`);
  }
  const { markdown, svg } = formatRegions(regions, recordToday ? [] : today, '../docs/bench-regions.svg');
  mkdirSync(here('../docs'), { recursive: true });
  if (!recordToday) writeFileSync(here('../docs/bench-regions.svg'), svg);
  const formatted = classic === undefined ? undefined : formatResults(classic);
  // the read suite (issue 21): 3 regions, 100,000 people per region
  const reads =
    regionsOnly || process.argv.includes('--no-reads')
      ? undefined
      : await benchReads({
          regions: 3,
          peoplePerRegion: 100_000,
          delayMs: DELAY_MS,
          callers: ['usa', 'gbr', 'aus'],
          signal: abort.signal,
          onProgress: progress,
        });
  const readsTable = reads === undefined ? '' : `\n## Reading across regions\n\n${formatReads(reads)}`;
  // the same table alone, as `npm run bench:reads` writes it (docs/guides/reading.md links it)
  if (reads !== undefined) writeFileSync(here('./RESULTS-reads.md'), formatReads(reads));
  // and with 5 regions, in its own file (bench/RESULTS-reads-5.md)
  const reads5 =
    reads === undefined
      ? undefined
      : await benchReads({
          regions: 5,
          peoplePerRegion: 100_000,
          delayMs: DELAY_MS,
          callers: ['usa', 'gbr', 'aus'],
          signal: abort.signal,
          onProgress: progress,
        });
  if (reads5 !== undefined) writeFileSync(here('./RESULTS-reads-5.md'), formatReads(reads5));
  // the load suite (issue 20): writes under load through link poolers, beside the hand-written transaction
  if (!regionsOnly && !process.argv.includes('--no-load')) await settle('load', progress);
  const startLoad = loadAverage();
  const load =
    regionsOnly || process.argv.includes('--no-load')
      ? undefined
      : await benchLoad({ ...loadOptions(process.env), signal: abort.signal, onProgress: progress });
  const loadTable = load === undefined ? '' : `\n## Writes under load\n\n${formatLoad(load, startLoad)}`;
  // (the same table in its own file, so that it never shows an older run than RESULTS.md)
  if (loadTable !== '' && !recordToday) writeFileSync(here('./RESULTS-load.md'), loadTable.slice(1));
  // the adopt suite (issue 23): 1,000,000 people from a source database, beside a plain COPY
  const adopt =
    regionsOnly || process.argv.includes('--no-adopt')
      ? undefined
      : await benchAdopt({ rows: Number(process.env.ADOPT_BENCH_ROWS ?? 1_000_000), batch: 10_000, onProgress: progress });
  const adoptTable = adopt === undefined ? '' : `\n## Adopt\n\n${adopt}`;
  // the bulk suite (issue 20): 100,000 updates of existing keys beside inserting them
  if (!regionsOnly && !process.argv.includes('--no-bulk')) await settle('bulk', progress);
  const bulk =
    regionsOnly || process.argv.includes('--no-bulk')
      ? undefined
      : await benchBulk({ ...bulkOptions(process.env), delayMs: DELAY_MS, onProgress: progress });
  const bulkTable = bulk === undefined ? '' : `\n## Bulk writes\n\n${formatBulk(bulk)}`;
  const summary = `${formatted === undefined ? markdown : `${formatted.summary}\n${markdown}`}${readsTable}${loadTable}${adoptTable}${bulkTable}`;
  process.stdout.write(summary);
  const path = here(recordToday ? './RESULTS-today.md' : './RESULTS.md');
  writeFileSync(path, `${summary}\n${formatted?.traces ?? ''}`);
  progress(`wrote ${path}`);
  if (full && classic !== undefined) {
    const block = formatReadmeBench({
      date: classic.startedAt.toISOString().slice(0, 10),
      cores: classic.machine.cores,
      regions,
      reads,
      load,
      bulk,
    });
    writeFileSync(README, replaceReadmeBench(readFileSync(README, 'utf8'), block));
    progress('wrote README.md (benchmarks section)');
  }
  if (
    (classic?.runtime.failures.length ?? 0) > 0 ||
    regions.failures.length > 0 ||
    (reads?.failures.length ?? 0) > 0 ||
    (reads5?.failures.length ?? 0) > 0 ||
    (load?.failures.length ?? 0) > 0 ||
    bulk?.failure !== undefined
  )
    process.exitCode = 1;
} catch (error) {
  process.stderr.write(`bench: failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
}
