// A short single-write latency run (issue 20): the floors and the single calls
// on a 3-region proxied fleet, printed as ratios to the parallel floor.
//   npm run build && node --import tsx bench/writeLatency.ts [regions] [runs]
import { benchRegions } from './benchRegions.js';
import { DELAY_MS } from './runBench.js';

const count = Number(process.argv[2] ?? 3);
const runs = Number(process.argv[3] ?? 9);
const result = await benchRegions({
  counts: [count],
  delayMs: DELAY_MS,
  plan: () => ({ warmup: 2, runs, batches: [] }),
  onProgress: (t) => process.stderr.write(`${t}\n`),
});
const floor = result.figures.find((f) => f.id === 'floor-parallel')?.medianMs ?? NaN;
for (const f of result.figures)
  process.stdout.write(
    `${f.id.padEnd(24)} ${f.medianMs.toFixed(1).padStart(7)} ms  ${(f.medianMs / floor).toFixed(2)}x floor-parallel  round trips ${f.roundTrips} (max ${f.maxPerRegion})\n`,
  );
for (const f of result.failures) process.stdout.write(`FAILED ${f.id}: ${f.message}\n`);
