import test from 'ava';
import type { BulkResult } from '../../bench/benchBulk.js';
import type { FirstCall, LoadCell, LoadResult } from '../../bench/benchLoad.js';
import { mergeRuns } from '../../bench/mergeRuns.js';
import type { ReadFigure, ReadsResult } from '../../bench/benchReads.js';
import type { RegionFigure, RegionsResult } from '../../bench/benchRegions.js';
import { formatReadmeBench, type ReadmeBenchInput } from '../../bench/formatReadme.js';
import { formatReads } from '../../bench/formatReads.js';

const region = (id: string, regions: number, medianMs: number): RegionFigure => ({
  id,
  label: id,
  regions,
  from: 'usa',
  n: 7,
  medianMs,
  roundTrips: 2,
  maxPerRegion: 1,
});

const regions: RegionsResult = {
  delayMs: 5,
  servers: [],
  failures: [],
  figures: [
    region('floor-local', 3, 0.27),
    region('floor-fdw', 3, 111),
    region('floor-parallel', 3, 10.9),
    region('upsert-new-owner', 3, 32.3),
    region('upsert-new-other', 3, 30),
    region('floor-fdw', 7, 335),
    region('floor-parallel', 7, 11.6),
    region('upsert-new-owner', 7, 34.8),
    // no floor at 5 regions: the write stands without its ratio
    region('upsert-new-owner', 5, 36.2),
  ],
};

const read = (id: string, from: string, medianMs: number): ReadFigure => ({
  id,
  label: id === 'get-many' ? '**`get_identity_many($1)`**, 100 keys' : `\`${id}\``,
  regions: 3,
  from,
  major: { usa: 10, gbr: 11, aus: 18 }[from]!,
  n: 9,
  medianMs,
  localMs: 2,
  floorMs: 11,
  maxRoundTrips: 1,
  roundTrips: 2,
  bytesReceived: 6400,
});

const reads: ReadsResult = {
  delayMs: 5,
  peoplePerRegion: 100_000,
  loadMs: 7000,
  servers: ['usa 10.23', 'gbr 11.22', 'aus 18.4'],
  figures: [
    read('get-many', 'usa', 15.6),
    read('get-many', 'gbr', 16),
    read('get-many', 'aus', 15.1),
    read('parent-group-pw', 'gbr', 146),
    read('parent-group-pw', 'aus', 100),
  ],
  skipped: [{ id: 'parent-group-pw', from: 'usa', why: 'needs PostgreSQL 11+' }],
  failures: [],
};

const cell = (
  op: LoadCell['op'],
  from: LoadCell['from'],
  clientsPerRegion: number,
  perSecond: number,
  extra: Partial<LoadCell> = {},
): LoadCell => ({
  regions: 3,
  op,
  from,
  clientsPerRegion,
  calls: 1000,
  perSecond,
  p50: 31.3,
  p95: 34.4,
  p99: 35.3,
  aborts: 0,
  errors: {},
  abortMessages: {},
  linkSessions: 12,
  prepared: 10,
  ...extra,
});

const first = (
  regionCount: number,
  links: FirstCall['links'],
  firstMs: number,
  sessions: FirstCall['sessions'] = 'backend',
): FirstCall => ({
  regions: regionCount,
  links,
  sessions,
  firstMs,
  warmMs: 30,
  firstCpuMs: 40,
  warmCpuMs: 20,
  libraryCpuMs: 1,
  linksCpuMs: 3,
  linksMs: 9,
  compileCpuMs: 6,
  wanConnects: 0,
});

const load: LoadResult = {
  delayMs: 5,
  poolSize: 4,
  seconds: 10,
  cells: [
    cell('upsert', 'one', 1, 32, { linkSessions: 1, prepared: 1 }),
    cell('floor-fdw', 'one', 1, 8.8),
    cell('upsert', 'all', 32, 137, { aborts: 25, p50: 668.4, p99: 1097.8 }),
    cell('floor-fdw', 'all', 32, 109.6),
    cell('upsert-ungated', 'all', 32, 120),
  ],
  firstCalls: [first(3, 'pooler', 52.8), first(3, 'pooler-plain', 30.4, 'app-pooler'), first(3, 'direct', 183), first(7, 'pooler', 60.5)],
  failures: [],
};

const bulk: BulkResult = {
  rows: 100_000,
  batch: 100_000,
  delayMs: 5,
  rounds: [
    { insert: { ms: 10_000, serverCpuS: 10 }, update: { ms: 13_000, serverCpuS: 12 } },
    { insert: { ms: 10_000, serverCpuS: 10 }, update: { ms: 11_000, serverCpuS: 12 } },
    { insert: { ms: 10_000, serverCpuS: 10 }, update: { ms: 12_100, serverCpuS: 12 } },
  ],
  loadBefore: '1.00, 1.00, 1.00',
  loadAfter: '1.00, 1.00, 1.00',
};

const full: ReadmeBenchInput = { date: '2026-12-07', cores: 2, regions, reads, load, bulk };

const LINKS_LINE =
  'The full tables: [bench/RESULTS.md](bench/RESULTS.md), [bench/RESULTS-reads-5.md](bench/RESULTS-reads-5.md) (reads at 5 regions); what they measure: [docs/benchmarks.md](docs/benchmarks.md), [docs/guides/reading.md](docs/guides/reading.md).';

test("README's benchmarks section: the writes against their floors, the chart, under load, first writes, bulk, the reads and their targets", (t) => {
  t.is(
    formatReadmeBench(full),
    [
      'Measured on 2 cores, 5 ms each way between regions through delay proxies, in one `npm run bench` on 2026-12-07.',
      '',
      '**Writes**: a new person, `upsert_identity` called in its owner, against the floor (one round trip to every other region, in parallel) and against the same write by hand in one postgres_fdw transaction:',
      '',
      '| regions | floor | `upsert_identity` | by hand through postgres_fdw |',
      '| --- | --- | --- | --- |',
      '| 3 | 10.9 ms | 32.3 ms (2.96x floor) | 111 ms (10x floor) |',
      '| 5 | - | 36.2 ms | - |',
      '| 7 | 11.6 ms | 34.8 ms (3.00x floor) | 335 ms (29x floor) |',
      '',
      '![single write by fleet size](docs/bench-regions.svg)',
      '',
      '**Under load**: fresh keys through a link pooler beside every region (pool_size 4), 10 s per cell, beside the hand-written postgres_fdw transaction of the same cell; 40001: the share of writes that gave way to another (false aborts):',
      '',
      '| regions | from | clients/region | upsert/s | fdw tx/s | ratio | upsert p50 / p99 ms | 40001 | link sessions (max/region) | prepared (max/region) |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      '| 3 | usa | 1 | 32 | 9 | 3.64x | 31.3 / 35.3 | 0.00% | 1 | 1 |',
      '| 3 | all | 32 | 137 | 110 | 1.25x | 668.4 / 1097.8 | 2.50% | 12 | 10 |',
      '| 3 | all (no gate) | 32 | 120 | 110 | 1.09x | 31.3 / 35.3 | 0.00% | 12 | 10 |',
      '',
      "A new session's first write, beyond a warm one (RT: a round trip, 10 ms): 3 regions: pooler (TLS) 2.28 RT, sessions through an application pooler (links: pooler (loopback, no TLS)) 0.04 RT, direct 15.30 RT; 7 regions: pooler (TLS) 3.05 RT.",
      '',
      'Bulk: 100,000 updates of existing keys took 1.21x inserting 100,000 new ones (`upsert_identity_many`, median of 3 rounds; target at most 1.5x: met).',
      '',
      "**Reading across regions**: 3 regions, 100,000 people per region; each read's median time and its ratio to floor A, one round trip to every other region at once (11.0 ms from usa, 11.0 ms from gbr, 11.0 ms from aus); in bold the reads the [guide](docs/guides/reading.md) recommends:",
      '',
      '| read | from usa (PostgreSQL 10) | from gbr (PostgreSQL 11) | from aus (PostgreSQL 18) |',
      '| --- | --- | --- | --- |',
      '| **`get_identity_many($1)`**, 100 keys | 15.6 ms (1.4x A) | 16.0 ms (1.5x A) | 15.1 ms (1.4x A) |',
      '| `parent-group-pw` | n/a | 146 ms (13x A) | 100 ms (9.1x A) |',
      '',
      'Targets:',
      '',
      '- `get_identity_many` of 100 keys <= 1.5x floor A: met (worst 1.45x, get-many from gbr)',
      '- count by region: not measured',
      '- a page of 100 by a mirrored filter, with details: not measured',
      '- every read the guide recommends (the read functions and the directory) <= 10x floor A: met (worst 1.45x, get-many from gbr)',
      '- the partitionwise `GROUP BY` on the parent (another aggregate of personal columns per region, 14+): not held to 10x: postgres_fdw asks each other region 5 times (transaction, cursor, fetch, close, commit), 1 round trips in sequence here (3N + 2 for N other regions on 15+), so at least 1x floor A; worst 9.1x from aus. For counts write `count_<e>_by_region` (1 round trip)',
      '',
      LINKS_LINE,
      '',
    ].join('\n'),
  );
});

test('the read targets say met or NOT met exactly as the results file does', (t) => {
  const slow: ReadsResult = {
    ...reads,
    figures: reads.figures.map((f) => (f.id === 'get-many' && f.from === 'aus' ? { ...f, medianMs: 18 } : f)),
  };
  const targets = formatReads(slow)
    .split('\n')
    .filter((l) => l.startsWith('- '));
  t.is(targets[0], '- `get_identity_many` of 100 keys <= 1.5x floor A: NOT met (worst 1.64x, get-many from aus)');
  const section = formatReadmeBench({ ...full, reads: slow });
  t.true(section.includes(`Targets:\n\n${targets.join('\n')}\n\n`), section);
  t.true(section.includes('| 15.6 ms (1.4x A) | 16.0 ms (1.5x A) | 18.0 ms (1.6x A) |'), section);
});

test('a suite left undefined is left out with its lines; none at all leaves the sentence and the links', (t) => {
  t.is(
    formatReadmeBench({ ...full, regions: undefined, reads: undefined, load: undefined, bulk: undefined }),
    `Measured on 2 cores, in one \`npm run bench\` on 2026-12-07.\n\n${LINKS_LINE}\n`,
  );
  const writesOnly = formatReadmeBench({ ...full, reads: undefined, load: undefined, bulk: undefined });
  t.true(writesOnly.startsWith('Measured on 2 cores, 5 ms each way between regions through delay proxies'));
  t.true(writesOnly.includes('\n\n![single write by fleet size](docs/bench-regions.svg)\n\nThe full tables: '), writesOnly);
  for (const gone of ['Under load', 'first write', 'Bulk', 'Reading across regions', 'Targets', '\n\n\n'])
    t.false(writesOnly.includes(gone), gone);
  // bulk alone, and a load run of first writes only (no cells)
  const noWrites = formatReadmeBench({ ...full, regions: undefined, reads: undefined, load: { ...load, cells: [] } });
  t.is(
    noWrites,
    [
      'Measured on 2 cores, 5 ms each way between regions through delay proxies, in one `npm run bench` on 2026-12-07.',
      '',
      "A new session's first write, beyond a warm one (RT: a round trip, 10 ms): 3 regions: pooler (TLS) 2.28 RT, sessions through an application pooler (links: pooler (loopback, no TLS)) 0.04 RT, direct 15.30 RT; 7 regions: pooler (TLS) 3.05 RT.",
      '',
      'Bulk: 100,000 updates of existing keys took 1.21x inserting 100,000 new ones (`upsert_identity_many`, median of 3 rounds; target at most 1.5x: met).',
      '',
      LINKS_LINE,
      '',
    ].join('\n'),
  );
  t.false(formatReadmeBench({ ...full, bulk: { ...bulk, rounds: [], failure: 'round 1 failed: boom' } }).includes('Bulk:'));
});

test('failures are named, and bench/RESULTS.md said to hold them', (t) => {
  const section = formatReadmeBench({
    ...full,
    load: { ...load, failures: ['3 regions upsert from all x32: 2 x 53200'] },
    bulk: { ...bulk, failure: 'round 3 failed: boom' },
  });
  t.true(
    section.includes('\n\n**Failed in this run**: 1 under load, the bulk suite; bench/RESULTS.md says what.\n\nThe full tables: '),
    section,
  );
  t.false(formatReadmeBench(full).includes('Failed'));
});

test("README's load table: a cell run in alternating pairs shows each run and the pairs' median ratio, and the sentence before says so", (t) => {
  const paired: LoadResult = {
    ...load,
    cells: [
      mergeRuns([cell('upsert', 'all', 32, 113), cell('upsert', 'all', 32, 152), cell('upsert', 'all', 32, 128)]),
      mergeRuns([cell('floor-fdw', 'all', 32, 105), cell('floor-fdw', 'all', 32, 103), cell('floor-fdw', 'all', 32, 100)]),
    ],
  };
  const text = formatReadmeBench({ ...full, load: paired });
  t.regex(text, /\(false aborts\)\. The 3 x 32 from all ran 3 times, alternating with the fdw transaction .* with their range:\n/);
  t.regex(text, /^\| 3 \| all \| 32 \| 128 \(113, 152, 128\) \| 103 \(105, 103, 100\) \| 1\.28x \(1\.08x to 1\.48x, 3 pairs\) \|/m);
});
