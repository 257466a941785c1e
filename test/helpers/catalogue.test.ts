import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Issue 19 #10: the suite can see its own failures. A catalogue case is
// recorded whatever its outcome (ava's assertions throw, so a call on the
// test's last line never ran for a failing case), and the totals after the
// suite exit 1 when a case did not hold.
const repo = fileURLToPath(new URL('../..', import.meta.url));

function run(
  file: string,
  args: readonly string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, [...args], { cwd: repo, env: { ...process.env, ...env } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test('issue 19 #10: failing, throwing and lossy catalogue cases are recorded as not held, and the totals fail the run', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rsd-catalogue-'));
  const results = join(dir, 'results.jsonl');
  const config = join(dir, 'ava.config.mjs');
  writeFileSync(
    config,
    `export default { files: ['test/fixtures/catalogue/cases.ts'], extensions: { ts: 'module' }, nodeArguments: ['--import=tsx'], workerThreads: false };\n`,
  );
  const env = { PG_RESIDENCY_CATALOGUE_FILE: results };
  const ava = await run(process.execPath, [join(repo, 'node_modules/ava/entrypoints/cli.mjs'), '--config', config], env);
  t.is(ava.code, 1, 'two cases fail');
  const records = readFileSync(results, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { title: string; finding: number; held: boolean; rowsLost: number })
    .sort((a, b) => a.finding - b.finding);
  t.deepEqual(
    records.map((r) => [r.finding, r.held, r.rowsLost]),
    [
      [101, false, 0],
      [102, true, 0],
      [103, false, 2],
      [104, false, 0],
    ],
  );
  const totals = await run(process.execPath, ['--import', 'tsx', join(repo, 'test/helpers/catalogueTotals.ts'), '--totals'], env);
  t.is(totals.code, 1);
  t.regex(totals.stdout, /4 cases, 1 held, 3 did not, 2 rows lost/);
  t.regex(totals.stderr, /did not hold: a case whose assertion fails/);
});
