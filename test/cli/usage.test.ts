import test, { type ExecutionContext } from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCli } from '../../src/cli/buildCli.js';
import { closest } from '../../src/cli/closest.js';
import { recordCase } from '../helpers/catalogue.js';

// Issue 19 #6 and issue 22 #3: every usage error is refused before anything
// runs, exits 2, prints at most three lines (the problem, a "did you mean",
// where the help is), and under --json one JSON object on stderr.
const repo = fileURLToPath(new URL('../..', import.meta.url));
const scratch = () => mkdtempSync(join(tmpdir(), 'rsd-usage-'));

/** A regions.yaml whose regions no server listens on: a command that ran would fail with CONNECTION, not USAGE. */
function deadConfig(): string {
  const dir = scratch();
  const path = join(dir, 'regions.yaml');
  writeFileSync(
    path,
    `regions:
  - { name: usa, url: "postgres://postgres@127.0.0.1:1/residency", postgres: 18 }
  - { name: gbr, url: "postgres://postgres@127.0.0.1:2/residency", postgres: 18 }
entities:
  - { name: identity, key: { name: uuid, type: uuid }, resident: [{ name: name, type: text }] }
`,
  );
  return path;
}

async function run(argv: string[], stateDir = scratch()) {
  let stdout = '';
  let stderr = '';
  const code = await buildCli({
    argv: [...argv, '--state-dir', stateDir],
    env: Object.freeze({ PGPASSWORD: 'x', PG_RESIDENCY_LINK_PASSWORD: 'y' }),
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  return { code, stdout, stderr, lines: stderr.trimEnd().split('\n') };
}

/** One usage error: exit 2, nothing on stdout, `expected` lines on stderr (at most 3); and with --json one JSON object. */
async function usage(t: ExecutionContext, argv: string[], expected: readonly string[]) {
  const r = await run(argv);
  t.is(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
  t.is(r.stdout, '', argv.join(' '));
  t.true(r.lines.length <= 3, `${argv.join(' ')}: ${r.lines.length} lines`);
  t.deepEqual(r.lines, expected, argv.join(' '));
  const json = await run([...argv, '--json']);
  t.is(json.code, 2, `${argv.join(' ')} --json`);
  t.is(json.stdout, '');
  t.is(json.stderr.split('\n').filter(Boolean).length, 1, json.stderr);
  const parsed = JSON.parse(json.stderr) as { error: { code: string; message: string } };
  t.deepEqual(Object.keys(parsed), ['error']);
  t.is(parsed.error.code, 'USAGE');
  t.true(parsed.error.message.startsWith(expected[0]!.replace('error [USAGE]: ', '')), parsed.error.message);
}

test('a mistyped option is refused before the command runs: repair --dryrun repairs nothing, names --dry-run', async (t) => {
  recordCase(t, 6, 0, 19);
  const config = deadConfig();
  await usage(
    t,
    ['repair', '--dryrun', '--config', config],
    ['error [USAGE]: unknown option --dryrun for repair', 'did you mean --dry-run?', 'see pg-residency repair --help'],
  );
  // the handler never ran: it would have tried to connect and failed with CONNECTION
  const r = await run(['repair', '--dryrun', '--config', config]);
  t.false(r.stderr.includes('CONNECTION'));
});

test('dev down --bogus stops nothing', async (t) => {
  recordCase(t, 6, 0, 19);
  const config = deadConfig();
  await usage(
    t,
    ['dev', 'down', '--bogus', '--config', config],
    ['error [USAGE]: unknown option --bogus for dev', 'see pg-residency dev --help'],
  );
});

test('gen-migrations --bogus-flag writes no file', async (t) => {
  recordCase(t, 6, 0, 19);
  const out = join(scratch(), 'generated');
  await usage(
    t,
    ['gen-migrations', '--bogus-flag', '--dir', out],
    ['error [USAGE]: unknown option --bogus-flag for gen-migrations', 'see pg-residency gen-migrations --help'],
  );
  t.false(existsSync(out));
  // --out is an alias of --dir: both are known options
  await usage(
    t,
    ['gen-migrations', '--outt', out],
    ['error [USAGE]: unknown option --outt for gen-migrations', 'did you mean --out?', 'see pg-residency gen-migrations --help'],
  );
});

test('sync and resolve refuse unknown options and a contradictory or missing region selection', async (t) => {
  recordCase(t, 6, 0, 19);
  const config = deadConfig();
  for (const command of ['sync', 'resolve', 'verify', 'migrate up', 'migrate status']) {
    const words = command.split(' ');
    await usage(
      t,
      [...words, '--all', '--bogus', '--config', config],
      [`error [USAGE]: unknown option --bogus for ${words[0]}`, `see pg-residency ${words[0]} --help`],
    );
    await usage(
      t,
      [...words, '--region', 'usa', '--all', '--config', config],
      [
        'error [USAGE]: --all and --region usa contradict each other: pass --all for every region, or --region NAME for some',
        `see pg-residency ${words[0]} --help`,
      ],
    );
    await usage(
      t,
      [...words, '--config', config],
      ['error [USAGE]: name the regions: --region NAME (repeatable) or --all', `see pg-residency ${words[0]} --help`],
    );
  }
  await usage(
    t,
    ['verify', '--al', '--config', config],
    ['error [USAGE]: unknown option --al for verify', 'did you mean --all?', 'see pg-residency verify --help'],
  );
});

test('a mistyped command or action gets a "did you mean", and no help dump', async (t) => {
  await usage(t, ['migrat', 'up'], ['error [USAGE]: unknown command "migrat"', 'did you mean migrate?', 'see pg-residency --help']);
  await usage(
    t,
    ['migrate', 'upp', '--all'],
    ['error [USAGE]: migrate action "upp" is not one of up, down, status', 'did you mean migrate up?', 'see pg-residency migrate --help'],
  );
  await usage(t, ['migrate', '--all'], ['error [USAGE]: migrate needs an action: up, down, status', 'see pg-residency migrate --help']);
  const none = await run([]);
  t.is(none.code, 2);
  t.deepEqual(none.lines, ['error [USAGE]: name a command', 'see pg-residency --help']);
  const bogus = await run(['--bogus']);
  t.is(bogus.code, 2);
  t.deepEqual(bogus.lines, ['error [USAGE]: unknown option --bogus; name a command first', 'see pg-residency --help']);
  await usage(
    t,
    ['migrate', 'down', '--all', '--count', 'x'],
    ['error [USAGE]: --count "x" must be a positive whole number, e.g. --count 1', 'see pg-residency migrate --help'],
  );
});

test('demo --json is refused before any server starts', async (t) => {
  recordCase(t, 10, 0, 19); // it left three servers on the demo's ports, so npm test then npm run demo failed
  const stateDir = scratch();
  const r = await run(['demo', '--json'], stateDir);
  t.is(r.code, 2);
  t.deepEqual(JSON.parse(r.stderr), {
    error: { code: 'USAGE', message: 'unknown option --json for demo; see pg-residency demo --help' },
  });
  t.deepEqual(readdirSync(stateDir), [], 'no server was started');
});

test('--templates naming a missing folder is one clear error, not a raw ENOENT', async (t) => {
  const r = await run(['gen-migrations', '--templates', '/nonexistent', '--dir', join(scratch(), 'g')]);
  t.is(r.code, 1);
  t.is(
    r.stderr,
    'error [TEMPLATE]: the templates folder "/nonexistent" does not exist; pass --templates a folder of *.sql.hbs files, or leave it out to use the templates shipped with pg-residency\n',
  );
  const json = await run(['gen-migrations', '--templates', '/nonexistent', '--json']);
  t.is((JSON.parse(json.stderr) as { error: { code: string } }).error.code, 'TEMPLATE');
});

test('a wrong type in regions.yaml says what was given', async (t) => {
  const config = join(scratch(), 'regions.yaml');
  writeFileSync(
    config,
    'regions:\n  - { name: usa, url: "postgres://a@h:1/db", postgres: "ten" }\nentities:\n  - { name: identity, key: { name: uuid, type: uuid }, resident: [{ name: name, type: text }] }\n',
  );
  const r = await run(['gen-migrations', '--config', config, '--dir', join(scratch(), 'g')]);
  t.is(r.code, 1);
  t.is(r.stderr, `error [CONFIG]: ${config} is invalid (1 problem):\n  regions[0].postgres: expected a number, got string "ten"\n`);
});

test('the binary exits quietly when its reader goes away (EPIPE)', async (t) => {
  const bin = join(repo, 'bin', 'pg-residency.js');
  const r = await new Promise<{ stdout: string; stderr: string }>((resolve) => {
    execFile(
      'bash',
      ['-c', `"${process.execPath}" "${bin}" gen-migrations --check --json | true; echo "exit \${PIPESTATUS[0]}"`],
      { cwd: repo },
      (_error, stdout, stderr) => resolve({ stdout, stderr }),
    );
  });
  t.is(r.stderr, '');
  t.is(r.stdout, 'exit 0\n');
});

test('closest names a close match only', (t) => {
  t.is(closest('dryrun', ['dry-run', 'json']), 'dry-run');
  t.is(closest('migrat', ['migrate', 'verify']), 'migrate');
  t.is(closest('bogus', ['dry-run', 'json', 'config']), undefined);
  t.is(closest('sycn', ['sync', 'resolve']), 'sync');
});
