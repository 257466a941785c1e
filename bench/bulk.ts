// `npm run bench:bulk` (BULK_BENCH_ROWS=100000 by default; BULK_BENCH_BATCH rows per call, default all in one;
// BULK_BENCH_ROUNDS rounds, default 3):
// the bulk suite alone (bench/benchBulk.ts; also part of `npm run bench`).
import { benchBulk } from './benchBulk.js';
import { formatBulk } from './formatBulk.js';
import { DELAY_MS } from './runBench.js';
import { bulkOptions } from './bulkOptions.js';

process.stdout.write(
  formatBulk(
    await benchBulk({ ...bulkOptions(process.env), delayMs: DELAY_MS, onProgress: (text) => process.stderr.write(`bench: ${text}\n`) }),
  ),
);
