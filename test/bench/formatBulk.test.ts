import test from 'ava';
import type { BulkResult } from '../../bench/benchBulk.js';
import { bulkOptions } from '../../bench/bulkOptions.js';
import { formatBulk } from '../../bench/formatBulk.js';

const result = (insertMs: number, updateMs: number, batch = 100_000): BulkResult => ({
  rows: 100_000,
  batch,
  delayMs: 5,
  insert: { ms: insertMs, serverCpuS: 10 },
  update: { ms: updateMs, serverCpuS: 12.5 },
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

test('the bulk suite size comes from the environment', (t) => {
  t.deepEqual(bulkOptions({}), { rows: 100_000, batch: 100_000 });
  t.deepEqual(bulkOptions({ BULK_BENCH_ROWS: '30000', BULK_BENCH_BATCH: '10000' }), { rows: 30_000, batch: 10_000 });
  t.throws(() => bulkOptions({ BULK_BENCH_ROWS: 'many' }), { message: /BULK_BENCH_ROWS/ });
});
