// `npm run bench:reads`: the read suite of issue 21 alone (also part of `npm run bench`):
// prints its table and writes it to bench/RESULTS-reads.md. Progress goes to stderr.
//
//   npm run bench:reads                          3 regions, 100,000 people per region
//   npm run bench:reads -- --regions 5            5 regions, written to bench/RESULTS-reads-5.md (also part of `npm run bench`)
//   npm run bench:reads -- --people 20000 --out /tmp/reads.md
//   npm run bench:reads -- --only get-many,find --out /tmp/reads.md   (some reads only, by id)
//   PG_RESIDENCY_BENCH_READS_PEOPLE=10000 PG_RESIDENCY_BENCH_READS_REGIONS=5 npm run bench:reads   (the same through the environment)
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchReads } from './benchReads.js';
import { formatReads } from './formatReads.js';
import { DELAY_MS } from './runBench.js';

const abort = new AbortController();
process.once('SIGINT', () => abort.abort(new Error('interrupted')));
process.once('SIGTERM', () => abort.abort(new Error('terminated')));

const option = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(`--${name}`);
  const env = process.env[`PG_RESIDENCY_BENCH_READS_${name.toUpperCase()}`];
  const value = at >= 0 ? Number(process.argv[at + 1]) : env !== undefined && env !== '' ? Number(env) : fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`--${name} takes a positive integer`);
  return value;
};

const regions = option('regions', 3);
try {
  const result = await benchReads({
    regions,
    peoplePerRegion: option('people', 100_000),
    delayMs: DELAY_MS,
    callers: ['usa', 'gbr', 'aus'],
    ...(process.argv.includes('--only') ? { only: (process.argv[process.argv.indexOf('--only') + 1] ?? '').split(',') } : {}),
    signal: abort.signal,
    onProgress: (text) => process.stderr.write(`bench: ${text}\n`),
  });
  const table = formatReads(result);
  process.stdout.write(table);
  const out = process.argv.indexOf('--out');
  const path =
    out < 0
      ? fileURLToPath(new URL(regions === 3 ? './RESULTS-reads.md' : `./RESULTS-reads-${regions}.md`, import.meta.url))
      : resolve(process.argv[out + 1] ?? '');
  writeFileSync(path, table);
  process.stderr.write(`bench: wrote ${path}\n`);
  if (result.failures.length > 0) process.exitCode = 1;
} catch (error) {
  process.stderr.write(`bench: failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
}
