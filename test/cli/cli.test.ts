import test from 'ava';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCli } from '../../src/cli/buildCli.js';
import { MIXED, startFleet, type Fleet } from '../helpers/fleet.js';
import { recordCase } from '../helpers/catalogue.js';

// The CLI runs in-process: buildCli gets the arguments, the environment and two
// buffers, and returns the exit code. Paths are relative to the repository
// (ava's working directory).
const repo = fileURLToPath(new URL('../..', import.meta.url));
const scratch = () => mkdtempSync(join(tmpdir(), 'rsd-cli-'));
// No repository .pg-residency/secrets.env may leak into a test.
const noSecrets = scratch();

async function run(argv: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await buildCli({
    argv: [...argv, ...(argv.includes('--state-dir') ? [] : ['--state-dir', noSecrets])],
    // frozen: the CLI must never change the environment it is given
    env: Object.freeze({ ...env }),
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  return { code, stdout, stderr };
}

/** Runs with --json and parses stdout: it must be exactly one JSON document. */
async function runJson(argv: string[], env: Record<string, string> = {}) {
  const r = await run([...argv, '--json'], env);
  return { ...r, json: JSON.parse(r.stdout) as Record<string, unknown> & { ok: boolean; regions: Record<string, unknown>[] } };
}

test('gen-migrations --check passes on the committed generated/', async (t) => {
  const r = await run(['gen-migrations', '--check']);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, 'usa          up to date\ngbr          up to date\naus          up to date\n');
  t.is(r.stderr, '');
});

test('gen-migrations --check exits 1 and names the stale files; the stale message is on stderr', async (t) => {
  const dir = scratch();
  cpSync(join(repo, 'generated'), join(dir, 'generated'), { recursive: true });
  writeFileSync(join(dir, 'generated', 'gbr', '0002_schemas.sql'), 'edited\n');
  rmSync(join(dir, 'generated', 'aus', '0010_functions_identity.sql'));
  const r = await run(['gen-migrations', '--check', '--out', join(dir, 'generated')]);
  t.is(r.code, 1);
  t.is(
    r.stdout,
    'usa          up to date\ngbr          stale: gbr/0002_schemas.sql\naus          stale: aus/0010_functions_identity.sql\n',
  );
  t.is(
    r.stderr,
    `${join(dir, 'generated')}/ is not what regions.yaml produces; run \`pg-residency gen-migrations\` and commit the result.\n`,
  );
  const json = await runJson(['gen-migrations', '--check', '--out', join(dir, 'generated')]);
  t.is(json.code, 1);
  t.is(json.stderr, '');
  t.deepEqual(json.json, {
    ok: false,
    regions: [
      { region: 'usa', status: 'unchanged', files: [], destructive: [], warnings: [] },
      { region: 'gbr', status: 'stale', files: ['gbr/0002_schemas.sql'], destructive: [], warnings: [] },
      { region: 'aus', status: 'stale', files: ['aus/0010_functions_identity.sql'], destructive: [], warnings: [] },
    ],
  });
});

test('gen-migrations --json lists the files written per region', async (t) => {
  const out = join(scratch(), 'generated');
  const r = await runJson(['gen-migrations', '--out', out]);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(
    r.json.regions.map((g) => [g.region, g.status, (g.files as string[]).length]),
    [
      ['usa', 'written', 13],
      ['gbr', 'written', 13],
      ['aus', 'written', 13],
    ],
  );
  t.deepEqual((r.json.regions[0]!.files as string[]).slice(0, 2), ['usa/0001_extensions.sql', 'usa/0002_schemas.sql']);
  t.true(existsSync(join(out, 'usa', '0001_extensions.sql')));
});

test('a bad regions.yaml lists all four problems at once and writes no file', async (t) => {
  const dir = scratch();
  const config = join(dir, 'regions.yaml');
  writeFileSync(
    config,
    'mode: native\nregions:\n  - { name: usa, url: "postgres://a@h:1/db", postgres: 10 }\n  - { name: usa, url: "postgres://a@h:${NOPE}/db", postgres: 11 }\nentities: []\n',
  );
  const r = await run(['gen-migrations', '--config', config, '--out', join(dir, 'generated')]);
  t.is(r.code, 1);
  t.is(r.stdout, '');
  t.is(
    r.stderr,
    `error [CONFIG]: ${config} is invalid (4 problems):
  entities: at least one entity is needed
  regions[0].postgres: mode "native" needs PostgreSQL 11 or newer, but region "usa" runs 10 (it cannot route inserts into foreign partitions); use mode "auto" or "routing"
  regions[1].url: environment variable NOPE is not set; set it, or write \${NOPE:-default}
  regions[1].name: region "usa" is already defined at regions[0].name
`,
  );
  t.false(existsSync(join(dir, 'generated')));
  // with --json: nothing on stdout, one JSON error on stderr carrying every problem
  const json = await run(['gen-migrations', '--config', config, '--out', join(dir, 'generated'), '--json']);
  t.is(json.code, 1);
  t.is(json.stdout, '');
  const { error } = JSON.parse(json.stderr) as { error: { code: string; problems: { path: string }[] } };
  t.is(error.code, 'CONFIG');
  t.deepEqual(
    error.problems.map((p) => p.path),
    ['entities', 'regions[0].postgres', 'regions[1].url', 'regions[1].name'],
  );
});

test('gen-migrations warns, naming the region, when regions.yaml weakens its sslmode', async (t) => {
  const dir = scratch();
  const config = join(dir, 'regions.yaml');
  writeFileSync(
    config,
    'regions:\n  - { name: usa, url: "postgres://a@h:1/db", postgres: 11 }\n  - { name: gbr, url: "postgres://a@h:2/db", postgres: 11, fdw: { sslmode: require } }\nentities:\n  - { name: identity, key: { name: uuid, type: uuid }, resident: [{ name: name, type: text }] }\n',
  );
  const r = await run(['gen-migrations', '--config', config, '--out', join(dir, 'generated')]);
  t.is(r.code, 0, r.stderr);
  t.is(
    r.stderr,
    'warning: region "gbr": fdw.sslmode is "require": the link is encrypted, but no certificate is checked, so anyone on the path can pose as this region; remove fdw.sslmode from regions.yaml to use verify-full\n',
  );
});

test('issue 8 #10: --count and --steps must be positive integers, and --all with --region is refused; exit 2 before any database is touched', async (t) => {
  recordCase(t, 10);
  for (const count of ['abc', '-1', '0', '1.5']) {
    const r = await run(['migrate', 'down', '--region', 'usa', `--count=${count}`]);
    t.is(r.code, 2, count);
    t.is(
      r.stderr,
      `error [USAGE]: --count "${count}" must be a positive whole number, e.g. --count 1\nsee pg-residency migrate --help\n`,
      count,
    );
  }
  const steps = await run(['migrate', 'down', '--all', '--steps=x']);
  t.is(steps.code, 2);
  t.is(steps.stderr, 'error [USAGE]: --steps "x" must be a positive whole number, e.g. --steps 1\nsee pg-residency migrate --help\n');
  const both = await run(['migrate', 'up', '--all', '--region', 'usa']);
  t.is(both.code, 2);
  t.is(
    both.stderr,
    'error [USAGE]: --all and --region usa contradict each other: pass --all for every region, or --region NAME for some\nsee pg-residency migrate --help\n',
  );
});

test('unknown region and missing command are clear errors', async (t) => {
  const unknown = await run(['migrate', 'up', '--region', 'can']);
  t.is(unknown.code, 1);
  t.is(unknown.stdout, '');
  t.is(unknown.stderr, 'error [UNKNOWN_REGION]: unknown region "can"; regions.yaml defines "usa", "gbr", "aus"\n');
  const json = await run(['migrate', 'up', '--region', 'can', '--json']);
  t.deepEqual(JSON.parse(json.stderr), {
    error: { code: 'UNKNOWN_REGION', message: 'unknown region "can"; regions.yaml defines "usa", "gbr", "aus"' },
  });
  const none = await run([]);
  t.is(none.code, 2);
  t.is(none.stderr, 'error [USAGE]: name a command\nsee pg-residency --help\n');
  // the demo is a walkthrough for people: no --json (refused before it starts anything: test/cli/usage.test.ts)
});

test('--help lists every command; --version prints the version', async (t) => {
  const r = await run(['--help']);
  t.is(r.code, 0);
  for (const command of ['gen-migrations', 'migrate <action>', 'sync', 'resolve', 'verify', 'doctor', 'repair', 'dev <action>', 'demo'])
    t.true(r.stdout.includes(`pg-residency ${command}`), command);
  const version = await run(['--version']);
  t.is(version.stdout, `${(JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }).version}\n`);
});

let fleet: Fleet | undefined;
test.after.always(async () => {
  await fleet?.stop();
});

test.serial('migrate, sync, verify and dev on a real fleet: text with progress, and --json for each', async (t) => {
  fleet = await startFleet({ regions: MIXED, migrate: false });
  const env = { ...fleet.env };
  const common = ['--config', fleet.configPath, '--state-dir', fleet.stateDir];
  const dir = ['--dir', fleet.dir];

  const pending = await runJson(['migrate', 'status', '--all', ...common, ...dir], env);
  t.is(pending.code, 1);
  t.false(pending.json.ok);
  t.deepEqual(pending.json.regions[0], {
    region: 'usa',
    applied: [],
    pending: [
      '0001_extensions',
      '0002_schemas',
      '0003_registry',
      '0004_link_role',
      '0005_two_phase',
      '0006_entity_identity',
      '0007_region_gbr',
      '0008_region_aus',
      '0009_reads',
      '0010_functions_identity',
    ],
    unknown: [],
    modified: [],
    stalePrepared: 0,
  });
  // verify before migrate: every region read fails, with the reason and the next step
  const unmigrated = await runJson(['verify', '--all', ...common, ...dir], env);
  t.is(unmigrated.code, 1);
  t.deepEqual(unmigrated.json.regions[0], {
    region: 'usa',
    directoryRows: 0,
    personalRows: 0,
    links: [],
    roundTrips: 0,
    applied: 0,
    skipped: [],
    error: { code: 'MIGRATION', message: 'region "usa": no migration is applied; run `pg-residency migrate up --all`' },
  });
  const pendingText = await run(['migrate', 'status', '--all', ...common, ...dir], env);
  t.regex(pendingText.stdout, /^usa {10}0 applied, 10 pending, 0 unknown, 0 modified\n {13}pending {3}0001_extensions\n/);
  t.true(
    pendingText.stdout.endsWith(
      '\nusa, gbr, aus are behind: run `pg-residency migrate up --all`, which applies what is pending in waves\n',
    ),
    pendingText.stdout.slice(-200),
  );

  // without the fleet's secrets.env, and without the link password in the environment
  const noSecret = await run(['migrate', 'up', '--all', '--config', fleet.configPath, '--state-dir', noSecrets, ...dir], {
    PGPASSWORD: env.PGPASSWORD!,
  });
  t.is(noSecret.code, 1);
  t.is(noSecret.stdout, '');
  t.regex(noSecret.stderr, /^error \[CONFIG\]: .*environment variable PG_RESIDENCY_LINK_PASSWORD is not set/);
  // no password anywhere: the error names the region and where a password comes from
  const noPassword = await run(['migrate', 'status', '--region', 'gbr', '--config', fleet.configPath, '--state-dir', noSecrets, ...dir], {
    PG_RESIDENCY_LINK_PASSWORD: env.PG_RESIDENCY_LINK_PASSWORD!,
  });
  t.is(noPassword.code, 1);
  t.is(noPassword.stdout, 'gbr          failed\n');
  t.regex(
    noPassword.stderr,
    /^gbr {10}error \[CONNECTION\]: region "gbr": the server at postgres:\/\/postgres@127\.0\.0\.1:\d+\/residency asks for a password for "postgres" and none is set: set PGPASSWORD, or write one into the region's url/,
  );
  t.false(noPassword.stderr.includes('must be a string'));

  // text: each region's step as it finishes, with its time, then one line per region
  const up = await run(['migrate', 'up', '--all', ...common, ...dir], env);
  t.is(up.code, 0, up.stderr);
  const lines = up.stdout.trimEnd().split('\n');
  t.deepEqual(
    lines.slice(0, 6).map((l) => l.replace(/\(\d+ ms\)|\(\d+\.\d s\)/, '(T)')),
    [
      'usa          local   applied 6 (T)',
      'gbr          local   applied 6 (T)',
      'aus          local   applied 6 (T)',
      'usa          remote  applied 4 (T)',
      'gbr          remote  applied 4 (T)',
      'aus          remote  applied 4 (T)',
    ],
  );
  t.is(
    lines[6],
    'usa          applied: 0001_extensions, 0002_schemas, 0003_registry, 0004_link_role, 0005_two_phase, 0006_entity_identity, 0007_region_gbr, 0008_region_aus, 0009_reads, 0010_functions_identity',
  );
  t.is(up.stderr, '');

  const done = await runJson(['migrate', 'status', '--all', ...common, ...dir], env);
  t.is(done.code, 0);
  t.true(done.json.ok);
  t.deepEqual(
    done.json.regions.map((s) => [s.region, (s.applied as string[]).length, (s.pending as string[]).length]),
    [
      ['usa', 10, 0],
      ['gbr', 10, 0],
      ['aus', 10, 0],
    ],
  );

  const down = await runJson(['migrate', 'down', '--region', 'gbr', '--count', '1', ...common, ...dir], env);
  t.is(down.code, 0, down.stderr);
  t.deepEqual(down.json, {
    ok: true,
    regions: [{ region: 'gbr', status: 'reverted', migrations: ['0010_functions_identity'], warnings: [] }],
  });
  const again = await runJson(['migrate', 'up', '--region', 'gbr', ...common, ...dir], env);
  t.deepEqual(again.json, {
    ok: true,
    regions: [
      {
        region: 'gbr',
        status: 'applied',
        migrations: ['0010_functions_identity'],
        warnings: [],
        links: [
          { target: 'aus', auth: 'password' },
          { target: 'usa', auth: 'password' },
        ],
      },
    ],
  });

  // a write queued for a region, replayed by sync
  await fleet.query('usa', "SELECT shared.upsert_identity('7139f8aa-7f93-4657-83ad-b7d74a22159f', 'Dave', 'usa', 'n')");
  const sync = await runJson(['sync', '--all', ...common], env);
  t.is(sync.code, 0, sync.stderr);
  t.deepEqual(sync.json, {
    ok: true,
    regions: ['usa', 'gbr', 'aus'].map((region) => ({ region, entities: [{ entity: 'shared.identity', replayed: 0, pending: 0 }] })),
  });
  const syncText = await run(['sync', '--all', ...common], env);
  t.regex(syncText.stdout, /^usa {10}shared\.identity: 0 replayed, 0 still queued \(\d+ ms\)\n/m);

  // nothing left prepared: resolve has nothing to do
  const resolve = await runJson(['resolve', '--all', ...common], env);
  t.is(resolve.code, 0, resolve.stderr);
  t.deepEqual(resolve.json, {
    ok: true,
    regions: ['usa', 'gbr', 'aus'].map((region) => ({ region, committed: 0, rolledBack: 0, pending: 0, recordsDeleted: 0, parts: [] })),
  });
  const resolveText = await run(['resolve', '--region', 'gbr', ...common], env);
  t.regex(resolveText.stdout, /^gbr {10}0 committed, 0 rolled back, 0 pending, 0 spent record\(s\) deleted \(\d+ ms\)\n$/);

  const verify = await runJson(['verify', '--all', ...common, ...dir], env);
  t.is(verify.code, 0, verify.stderr);
  t.true(verify.json.ok);
  t.deepEqual(verify.json.findings, []);
  t.deepEqual(
    verify.json.regions.map((r) => [
      r.region,
      r.directoryRows,
      r.personalRows,
      r.applied,
      (r.links as { ok: boolean }[]).every((l) => l.ok),
    ]),
    [
      ['usa', 1, 1, 10, true],
      ['gbr', 1, 0, 10, true],
      ['aus', 1, 0, 10, true],
    ],
  );
  t.like(verify.json.summary, {
    errors: 0,
    warnings: 0,
    rules: {},
    entities: { 'shared.identity': { directoryRows: 1, bucketsDiffering: 0 } },
  });
  const verifyText = await run(['verify', '--all', ...common, ...dir], env);
  t.regex(
    verifyText.stdout,
    /^usa {10}1 directory rows, 1 personal rows, 10 migrations; links: gbr [\d.]+ ms, aus [\d.]+ ms; \d+ round trips \(\d+ ms\)$/m,
  );
  t.regex(verifyText.stdout, /^ok: 3 region\(s\) verified, 1 directory rows compared, 0 error\(s\), 0 warning\(s\) in \d+ ms$/m);
  const repair = await runJson(['repair', ...common], env);
  t.is(repair.code, 0, repair.stderr);
  t.like(repair.json, { ok: true, dryRun: false, changes: [], unrepaired: [] });

  const status = await runJson(['dev', 'status', ...common], env);
  t.is(status.code, 0);
  t.deepEqual(
    status.json.regions.map((s) => [s.region, s.running, s.major, s.port]),
    [
      ['usa', true, 10, fleet.ports.usa],
      ['gbr', true, 11, fleet.ports.gbr],
      ['aus', true, 18, fleet.ports.aus],
    ],
  );
  const devUp = await runJson(['dev', 'up', ...common], env);
  t.is(devUp.code, 0, devUp.stderr);
  t.deepEqual(
    devUp.json.regions.map((s) => [s.region, s.status]),
    [
      ['usa', 'already-running'],
      ['gbr', 'already-running'],
      ['aus', 'already-running'],
    ],
  );

  // progress on stderr as each region starts and is done; the result lines on stdout
  const devUpText = await run(['dev', 'up', ...common], env);
  t.is(devUpText.code, 0, devUpText.stderr);
  t.deepEqual(
    devUpText.stderr
      .trimEnd()
      .split('\n')
      .map((l) => l.replace(/\(\d+ ms\)|\(\d+\.\d s\)/, '(T)'))
      .sort(),
    [
      'aus  already-running (T)',
      'aus  starting PostgreSQL 18',
      'gbr  already-running (T)',
      'gbr  starting PostgreSQL 11',
      'usa  already-running (T)',
      'usa  starting PostgreSQL 10',
    ],
  );
  const repairText = await run(['repair', ...common], env);
  t.is(repairText.code, 0, repairText.stderr);
  t.deepEqual(
    repairText.stderr
      .trimEnd()
      .split('\n')
      .map((l) => l.replace(/\(\d+ ms\)|\(\d+\.\d s\)/, '(T)'))
      .sort(),
    [
      ...['aus', 'gbr'].map((r) => `${r.padEnd(12)} connected (T)`),
      'shared.identity: 0 key(s) to repair, 0 finding(s) left to you (T)',
      'usa          connected (T)',
    ],
  );

  // gbr down: errors go to stderr in text, and into the result with --json
  await fleet.stopRegion('gbr');
  const syncDown = await run(['sync', '--all', ...common], env);
  t.is(syncDown.code, 1);
  t.false(syncDown.stdout.includes('gbr'), syncDown.stdout);
  t.regex(syncDown.stderr, /^gbr {10}error \[CONNECTION\]: region "gbr": cannot connect to .* \(\d+ ms\)\n$/);
  const verifyDown = await runJson(['verify', '--all', ...common, ...dir], env);
  t.is(verifyDown.code, 1);
  t.false(verifyDown.json.ok);
  t.is((verifyDown.json.regions[1]!.error as { code: string }).code, 'CONNECTION');
  t.is(verifyDown.stderr, '');
  const migrateDown = await runJson(['migrate', 'up', '--all', ...common, ...dir], env);
  t.is(migrateDown.code, 1);
  t.deepEqual(
    migrateDown.json.regions.map((r) => [r.region, r.status, (r.error as { code?: string } | undefined)?.code]),
    [
      ['usa', 'skipped', undefined],
      ['gbr', 'failed', 'CONNECTION'],
      ['aus', 'skipped', undefined],
    ],
  );
  const migrateDownText = await run(['migrate', 'up', '--all', ...common, ...dir], env);
  t.is(migrateDownText.stdout, 'usa          skipped\ngbr          failed\naus          skipped\n');
  t.regex(migrateDownText.stderr, /^gbr {10}error \[CONNECTION\]: region "gbr": cannot connect to /);

  const devDown = await runJson(['dev', 'down', ...common], env);
  t.is(devDown.code, 0, devDown.stderr);
  t.deepEqual(
    devDown.json.regions.map((s) => [s.region, s.status, s.purged]),
    [
      ['usa', 'stopped', false],
      ['gbr', 'not-running', false],
      ['aus', 'stopped', false],
    ],
  );

  for (const output of [pending, pendingText, up, done, noSecret, down, again, sync, verify, status, devUp, syncDown, migrateDown]) {
    for (const secret of Object.values(env)) t.false(`${output.stdout}${output.stderr}`.includes(secret));
  }
  // the generated files hold no secret either
  for (const region of ['usa', 'gbr', 'aus']) {
    for (const file of readdirSync(join(fleet.dir, region))) {
      const text = readFileSync(join(fleet.dir, region, file), 'utf8');
      for (const secret of Object.values(env)) t.false(text.includes(secret), file);
    }
  }
});

test('the binary runs the same CLI and sets the exit code', async (t) => {
  const { execFile } = await import('node:child_process');
  const r = await new Promise<{ code: number; stdout: string }>((resolve) => {
    execFile(
      process.execPath,
      [join(repo, 'bin', 'pg-residency.js'), 'gen-migrations', '--check', '--json'],
      { cwd: repo },
      (error, stdout) => resolve({ code: error ? Number(error.code) : 0, stdout }),
    );
  });
  t.is(r.code, 0);
  t.true((JSON.parse(r.stdout) as { ok: boolean }).ok);
});

test('issue 17 finding 4: a password in a url (user info or ?password=) is masked in every CONNECTION error, text and --json', async (t) => {
  const dir = scratch();
  const { freePort } = await import('../helpers/freePort.js');
  const port = await freePort(); // nothing listens there
  const yaml = readFileSync(join(repo, 'regions.yaml'), 'utf8').replace(
    /url: postgres:\/\/postgres@127\.0\.0\.1:\$\{PG_RESIDENCY_(\w+)_PORT:-\d+\}\/residency/g,
    (_, region: string) =>
      `url: "postgres://postgres:userinfo-secret-17@127.0.0.1:${port}/${region.toLowerCase()}?application_name=x&password=query-secret-17"`,
  );
  t.true(yaml.includes('query-secret-17'));
  writeFileSync(join(dir, 'regions.yaml'), yaml);
  const config = ['--config', join(dir, 'regions.yaml')];
  const env = { PG_RESIDENCY_LINK_PASSWORD: 'link-secret-17' };
  const runs = [
    await run([...config, 'migrate', 'status', '--all'], env),
    await run([...config, 'migrate', 'status', '--all', '--json'], env),
    await run([...config, 'verify', '--all'], env),
    await run([...config, 'verify', '--all', '--json'], env),
    await run([...config, 'sync', '--all'], env),
    await run([...config, 'resolve', '--all'], env),
    await run([...config, 'repair'], env),
    await run([...config, 'repair', '--json'], env),
    await run([...config, 'migrate', 'up', '--all'], env),
  ];
  for (const r of runs) {
    const out = r.stdout + r.stderr;
    t.not(r.code, 0, out);
    t.regex(out, /CONNECTION/, out);
    t.regex(out, /password=\*\*\*/, out);
    t.false(/secret-17/.test(out), out);
  }
  recordCase(t);
});
