import test from 'ava';
import type { LoadCell } from '../../bench/benchLoad.js';
import { formatLoad, throughputRatio } from '../../bench/formatLoad.js';
import { mergeRuns } from '../../bench/mergeRuns.js';

const cell = (op: LoadCell['op'], perSecond: number, extra: Partial<LoadCell> = {}): LoadCell => ({
  regions: 3,
  op,
  from: 'all',
  clientsPerRegion: 32,
  calls: 1000,
  perSecond,
  p50: 10,
  p95: 20,
  p99: 30,
  aborts: 0,
  errors: {},
  abortMessages: {},
  linkSessions: 24,
  prepared: 16,
  ...extra,
});

test('the load table puts each write beside the hand-written transaction of the same cell, then the first writes in round trips', (t) => {
  const text = formatLoad(
    {
      delayMs: 5,
      poolSize: 8,
      seconds: 10,
      cells: [
        cell('upsert', 150, {
          aborts: 10,
          abortMessages: { 'region "aus": shared.identity: a concurrent write of the same key holds it; retry': 10 },
        }),
        cell('floor-fdw', 100),
      ],
      firstCalls: [
        {
          regions: 3,
          links: 'pooler-plain',
          sessions: 'backend',
          firstMs: 80,
          warmMs: 60,
          firstCpuMs: 30,
          warmCpuMs: 20,
          libraryCpuMs: 1,
          linksCpuMs: 3,
          linksMs: 9,
          compileCpuMs: 6,
          wanConnects: 0,
        },
        {
          regions: 3,
          links: 'pooler-plain',
          sessions: 'app-pooler',
          firstMs: 60.5,
          warmMs: 60,
          firstCpuMs: 20.2,
          warmCpuMs: 20,
          libraryCpuMs: 0,
          linksCpuMs: 0.1,
          linksMs: 0.2,
          // (a difference of medians a hair under zero)
          compileCpuMs: -0.02,
          wanConnects: 0,
        },
      ],
      failures: ['3 regions upsert from all x32: 2 x 53200'],
    },
    '1.00, 1.00, 1.00',
  );
  t.regex(text, /pool_size 8\) beside every region; 10 s per cell; load average at the start: 1\.00, 1\.00, 1\.00\./);
  t.regex(
    text,
    /^\| 3 \| all \| 32 \| 150 \| 100 \| 1\.50x \| 10\.0 \/ 20\.0 \/ 30\.0 \| 10\.0 \/ 30\.0 \| 10 \(1\.00%\) \| 24 \(fdw tx: 24\) \| 16 \|$/m,
  );
  t.regex(
    text,
    /^\| 3 \| pooler \(loopback, no TLS\) \| a new server backend \| 80\.0 ms \| 60\.0 ms \| 2\.00 RT \| 10\.0 ms \(1\.00 RT\) \| 1\.0 ms \| 3\.0 ms; 9\.0 ms \| 6\.0 ms \| 0\.0 \|$/m,
  );
  // a new client connection to an application pooler, its write on a server connection an earlier session used
  t.regex(
    text,
    /^\| 3 \| pooler \(loopback, no TLS\) \| through an application pooler \| 60\.5 ms \| 60\.0 ms \| 0\.05 RT \| 0\.2 ms \(0\.02 RT\) \| 0\.0 ms \| 0\.1 ms; 0\.2 ms \| 0\.0 ms \| 0\.0 \|$/m,
  );
  t.regex(text, /- 3 regions upsert from all x32: 2 x 53200/);
  // which code path gave way, so a false abort can be traced
  t.regex(
    text,
    /^- 3 regions upsert from all x32: 10 x region "aus": shared\.identity: a concurrent write of the same key holds it; retry$/m,
  );
});

test('a cell run in alternating pairs shows each run and the median of the pairs ratios with their range', (t) => {
  const write = mergeRuns([cell('upsert', 113), cell('upsert', 152, { aborts: 1 }), cell('upsert', 128, { prepared: 21 })]);
  const fdw = mergeRuns([cell('floor-fdw', 105), cell('floor-fdw', 103), cell('floor-fdw', 100)]);
  t.is(write.perSecond, 128);
  t.is(write.calls, 3000);
  t.is(write.aborts, 1);
  t.is(write.prepared, 21);
  t.deepEqual(write.rates, [113, 152, 128]);
  // the pairs' ratios: 1.08, 1.48, 1.28
  t.is(throughputRatio(write, fdw), '1.28x (1.08x to 1.48x, 3 pairs)');
  const text = formatLoad({ delayMs: 5, poolSize: 4, seconds: 10, cells: [write, fdw], firstCalls: [], failures: [] }, '1.00, 1.00, 1.00');
  t.regex(text, /^\| 3 \| all \| 32 \| 128 \(113, 152, 128\) \| 103 \(105, 103, 100\) \| 1\.28x \(1\.08x to 1\.48x, 3 pairs\) \|/m);
  t.regex(text, /The 3 x 32 from all ran 3 times, alternating with the fdw transaction/);
  // one run: as it was, no note
  t.is(mergeRuns([cell('upsert', 150)]).rates, undefined);
  t.is(throughputRatio(cell('upsert', 150), cell('floor-fdw', 100)), '1.50x');
  t.throws(() => mergeRuns([]), { instanceOf: RangeError });
});
