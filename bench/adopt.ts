// `npm run bench:adopt` (ADOPT_BENCH_ROWS=1000000 by default; ADOPT_BENCH_BATCH for --batch):
// the adopt suite alone (bench/benchAdopt.ts; also part of `npm run bench`).
import { benchAdopt } from './benchAdopt.js';

process.stdout.write(
  await benchAdopt({
    rows: Number(process.env.ADOPT_BENCH_ROWS ?? 1_000_000),
    batch: Number(process.env.ADOPT_BENCH_BATCH ?? 10_000),
    onProgress: (text) => process.stderr.write(`bench: ${text}\n`),
  }),
);
