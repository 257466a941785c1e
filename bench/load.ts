// `npm run bench:load`: the load suite alone (issue 20), written to
// bench/RESULTS-load.md. `npm run bench` runs it too (unless --no-load).
//
//   BENCH_LOAD_SHORT=1 npm run bench:load    3 regions, 1/4/16 clients, 3 s per cell (a few minutes)
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { benchLoad } from './benchLoad.js';
import { formatLoad } from './formatLoad.js';
import { loadAverage, loadOptions } from './loadOptions.js';

const abort = new AbortController();
process.once('SIGINT', () => abort.abort(new Error('interrupted')));
process.once('SIGTERM', () => abort.abort(new Error('terminated')));
const progress = (text: string) => process.stderr.write(`bench: ${text}\n`);

try {
  const load = loadAverage();
  const result = await benchLoad({ ...loadOptions(process.env), signal: abort.signal, onProgress: progress });
  const report = formatLoad(result, load);
  process.stdout.write(report);
  const path = fileURLToPath(new URL('./RESULTS-load.md', import.meta.url));
  writeFileSync(path, `## Writes under load\n\n${report}`);
  progress(`wrote ${path}`);
  if (result.failures.length > 0) process.exitCode = 1;
} catch (error) {
  process.stderr.write(`bench: failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
}
