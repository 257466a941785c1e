import test from 'ava';
import type { BulkResult } from '../../bench/benchBulk.js';
import { bulkOptions } from '../../bench/bulkOptions.js';
import { formatBulk } from '../../bench/formatBulk.js';

const round = (insertMs: number, updateMs: number, cpu = 12.5) => ({
  insert: { ms: insertMs, serverCpuS: 10 },
  update: { ms: updateMs, serverCpuS: cpu },
});

const result = (insertMs: number, updateMs: number, batch = 100_000): BulkResult => ({
  rows: 100_000,
  batch,
  delayMs: 5,
  rounds: [round(insertMs, updateMs)],
  loadBefore: '1.00, 2.00, 3.00',
  loadAfter: '1.50, 2.00, 3.00',
});

test('the bulk table gives both passes, the ratio and whether the target is met', (t) => {
  const text = formatBulk(result(10_000, 13_000));
  t.regex(text, /in one call, from usa, 5 ms each way/);
  t.regex(text, /\| insert \(new keys\) \| 10\.0 s \| 10\.0 s \| 10,000 rows\/s \|/);
  t.regex(text, /\| update \(the same keys\) \| 13\.0 s \| 12\.5 s \| 7,692 rows\/s \|/);
  t.regex(text, /\*\*1\.30x\*\* \| 1\.25x \| target at most 1\.5x: met \|/);
  t.regex(text, /at the start: 1\.00, 2\.00, 3\.00; at the end: 1\.50, 2\.00, 3\.00/);
});

test('the bulk table says when the target is not met, and the calls of a batched run', (t) => {
  const text = formatBulk(result(10_000, 16_000, 25_000));
  t.regex(text, /target at most 1\.5x: \*\*not met\*\*/);
  t.regex(text, /in 4 calls of 25,000/);
});

test("several rounds: the medians of the passes, the median of the rounds' ratios, each listed", (t) => {
  const text = formatBulk({ ...result(0, 0), rounds: [round(10_000, 13_000), round(12_000, 18_000, 15), round(11_000, 13_200, 11)] });
  t.regex(text, /in 3 rounds of new keys on emptied tables, medians/);
  t.regex(text, /\| insert \(new keys\) \| 11\.0 s \| 10\.0 s \| 9,091 rows\/s \|/);
  t.regex(text, /\| update \(the same keys\) \| 13\.2 s \| 12\.5 s \| 7,576 rows\/s \|/);
  t.regex(text, /\*\*1\.30x\*\* \(rounds: 1\.30x, 1\.50x, 1\.20x\) \| 1\.25x \| target at most 1\.5x: met \|/);
});

test('the bulk suite size comes from the environment', (t) => {
  t.deepEqual(bulkOptions({}), { rows: 100_000, batch: 100_000, rounds: 3 });
  t.deepEqual(bulkOptions({ BULK_BENCH_ROWS: '30000', BULK_BENCH_BATCH: '10000', BULK_BENCH_ROUNDS: '1' }), {
    rows: 30_000,
    batch: 10_000,
    rounds: 1,
  });
  t.throws(() => bulkOptions({ BULK_BENCH_ROWS: 'many' }), { message: /BULK_BENCH_ROWS/ });
  t.throws(() => bulkOptions({ BULK_BENCH_ROUNDS: '0' }), { message: /BULK_BENCH_ROUNDS/ });
});

test('a failed round is reported under the rounds that completed, and alone when none did', (t) => {
  const text = formatBulk({ ...result(10_000, 13_000), failure: 'round 2 failed: region "gbr" did not answer within the link timeout' });
  t.regex(text, /\*\*1\.30x\*\*/);
  t.regex(
    text,
    /\*\*Failed\*\*: round 2 failed: region "gbr" did not answer within the link timeout \(the rounds above completed; the others were not run\)\./,
  );
  t.is(formatBulk({ ...result(1, 1), rounds: [], failure: 'round 1 failed: boom' }), 'Bulk: no round completed (round 1 failed: boom).\n');
});
