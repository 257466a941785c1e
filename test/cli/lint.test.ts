import test from 'ava';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCli } from '../../src/cli/buildCli.js';

// `pg-residency lint` in-process, from the repository (regions.yaml: the seed fleet).
const noSecrets = mkdtempSync(join(tmpdir(), 'rsd-lint-'));

async function run(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await buildCli({
    argv: [...argv, '--state-dir', noSecrets],
    env: {},
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  return { code, stdout, stderr };
}

test('an error-level finding exits 1; text names file, line, column, rule and fix', async (t) => {
  const r = await run(['lint', 'test/fixtures/lint/RL002.sql', '--no-squawk']);
  t.is(r.code, 1, r.stderr);
  t.is(
    r.stdout,
    [
      'test/fixtures/lint/RL002.sql:2:43: error RL002 trigger "copy_names" on usa.identity_details runs on every write of a personal row and can copy its columns out of its home region',
      '  fix: drop it; to react to writes, watch the directory shared.identity (key, region, mirrored columns), which every region holds',
      'test/fixtures/lint/RL002.sql:3:39: error RL002 rule "log_names" on shared.identity_details runs on every write of a personal row and can copy its columns out of its home region',
      '  fix: drop it; to react to writes, watch the directory shared.identity (key, region, mirrored columns), which every region holds',
      '2 errors, 0 warnings',
      '',
    ].join('\n'),
  );
});

test('warnings alone exit 0', async (t) => {
  const r = await run(['lint', 'test/fixtures/lint/RL007.sql', '--no-squawk']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /\n0 errors, 5 warnings\n$/);
});

test('--json prints {ok, findings, notes}; squawk findings come with the residency ones', async (t) => {
  const r = await run(['lint', 'test/fixtures/lint/RL005.sql', '--json']);
  t.is(r.code, 1, r.stderr);
  const json = JSON.parse(r.stdout) as { ok: boolean; findings: Record<string, unknown>[]; notes: string[] };
  t.false(json.ok);
  t.deepEqual(json.notes, []);
  t.deepEqual(json.findings[0], {
    rule: 'RL005',
    level: 'error',
    file: 'test/fixtures/lint/RL005.sql',
    line: 2,
    column: 1,
    message: 'grants usa.identity_details to "analyst": it reads personal rows outside the generated API',
    fix: 'add the role to app_roles in regions.yaml (migrate makes it a member of the app group "residency_app", which may call the generated functions), or grant the directory table instead',
  });
  t.deepEqual(Object.keys(json.findings[0]!), ['rule', 'level', 'file', 'line', 'column', 'message', 'fix']);
  t.true(json.findings.some((f) => String(f.rule).startsWith('squawk/')));
});

test('--format github prints one annotation per finding', async (t) => {
  const r = await run(['lint', 'test/fixtures/lint/RL006.sql', '--no-squawk', '--format', 'github']);
  t.is(r.code, 1);
  const lines = r.stdout.trimEnd().split('\n');
  t.is(lines.length, 2);
  t.regex(lines[0]!, /^::error file=test\/fixtures\/lint\/RL006\.sql,line=2,col=22,title=RL006::foreign table reports\.gbr_people /);
});

test('a folder lints its .sql files; the generated history is clean', async (t) => {
  const r = await run(['lint', 'generated']);
  t.is(r.code, 0, r.stdout + r.stderr);
  t.is(r.stdout, '0 errors, 0 warnings\n');
});

test('no file is a usage error; a missing one names it', async (t) => {
  t.is((await run(['lint'])).code, 2);
  const missing = await run(['lint', 'nowhere.sql']);
  t.is(missing.code, 1);
  t.is(missing.stderr, 'error [CONFIG]: no such file or folder "nowhere.sql"; name the SQL files or folders to lint\n');
});
