// `npm run bench`: runs the benchmark, prints the report and writes it to
// bench/RESULTS.md. Progress goes to stderr so that stdout is the report.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatResults } from './formatResults.js';
import { runBench } from './runBench.js';

const abort = new AbortController();
// Ctrl-C stops after the current iteration; runBench then stops the fleet and the proxies.
process.once('SIGINT', () => abort.abort(new Error('interrupted')));
process.once('SIGTERM', () => abort.abort(new Error('terminated')));

try {
  const report = await runBench({ signal: abort.signal, onProgress: (text) => process.stderr.write(`bench: ${text}\n`) });
  const { summary, traces } = formatResults(report);
  process.stdout.write(summary);
  const path = fileURLToPath(new URL('./RESULTS.md', import.meta.url));
  writeFileSync(path, `${summary}\n${traces}`);
  process.stderr.write(`bench: wrote ${path} (with round-trip traces)\n`);
  if (report.runtime.failures.length > 0) process.exitCode = 1;
} catch (error) {
  process.stderr.write(`bench: failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
}
