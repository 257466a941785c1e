import test from 'ava';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MIXED, startFleet, type Fleet } from '../helpers/fleet.js';

// The built binary, as a user runs it (npm test builds first).
const repo = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(repo, 'bin', 'pg-residency.js');

function run(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { cwd: options.cwd ?? repo, env: { PATH: process.env.PATH ?? '', ...options.env } },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

const scratch = () => mkdtempSync(join(tmpdir(), 'rsd-cli-'));

test('gen-migrations --check passes on the committed generated/', async (t) => {
  const r = await run(['gen-migrations', '--check']);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, 'usa          up to date\ngbr          up to date\naus          up to date\n');
});

test('gen-migrations --check exits 1 and names the stale files', async (t) => {
  const dir = scratch();
  cpSync(join(repo, 'generated'), join(dir, 'generated'), { recursive: true });
  writeFileSync(join(dir, 'generated', 'gbr', '0002_schemas.sql'), 'edited\n');
  rmSync(join(dir, 'generated', 'aus', '0008_functions_identity.sql'));
  const r = await run(['gen-migrations', '--check', '--out', join(dir, 'generated')]);
  t.is(r.code, 1);
  t.is(
    r.stdout,
    'usa          up to date\ngbr          stale: gbr/0002_schemas.sql\naus          stale: aus/0008_functions_identity.sql\n',
  );
  t.regex(r.stderr, /is not what regions\.yaml produces; run `pg-residency gen-migrations` and commit the result/);
});

test('a bad regions.yaml is one clear error and writes no file', async (t) => {
  const dir = scratch();
  const config = join(dir, 'regions.yaml');
  writeFileSync(
    config,
    'mode: native\nregions:\n  - { name: usa, url: "postgres://a@h:1/db", postgres: 10 }\n  - { name: usa, url: "postgres://a@h:${NOPE}/db", postgres: 11 }\nentities: []\n',
  );
  const r = await run(['gen-migrations', '--config', config, '--out', join(dir, 'generated')]);
  t.is(r.code, 1);
  t.is(r.stderr, `error [CONFIG]: ${config} is invalid (1 problem):\n  entities: at least one entity is needed\n`);
  t.false(existsSync(join(dir, 'generated')));
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

test('unknown region and missing command are clear errors', async (t) => {
  const unknown = await run(['migrate', 'up', '--region', 'can']);
  t.is(unknown.code, 1);
  t.is(unknown.stderr, 'error [UNKNOWN_REGION]: unknown region "can"; regions.yaml defines "usa", "gbr", "aus"\n');
  const none = await run([]);
  t.is(none.code, 2);
  t.regex(none.stderr, /name a command; see --help/);
});

test('--help lists every command', async (t) => {
  const r = await run(['--help']);
  t.is(r.code, 0);
  for (const command of ['gen-migrations', 'migrate <action>', 'sync', 'verify', 'dev <action>', 'demo'])
    t.true(r.stdout.includes(`pg-residency ${command}`), command);
});

let fleet: Fleet | undefined;
test.after.always(async () => {
  await fleet?.stop();
});

test.serial('migrate status exits 1 while anything is pending, 0 once applied; no password is printed', async (t) => {
  fleet = await startFleet({ regions: MIXED, migrate: false });
  const env = { ...fleet.env };
  // from a folder of its own: the repository's .pg-residency/secrets.env must not leak in
  const cwd = scratch();
  const common = ['--config', fleet.configPath, '--dir', fleet.dir];
  const pending = await run(['migrate', 'status', '--all', ...common], { env, cwd });
  t.is(pending.code, 1);
  t.regex(pending.stdout, /^usa {10}0 applied, 8 pending, 0 unknown, 0 modified\n {13}pending {3}0001_extensions\n/);
  const noSecret = await run(['migrate', 'up', '--all', ...common], { env: { PGPASSWORD: env.PGPASSWORD! }, cwd });
  t.is(noSecret.code, 1);
  t.regex(noSecret.stderr, /environment variable PG_RESIDENCY_LINK_PASSWORD is not set/);
  const up = await run(['migrate', 'up', '--all', ...common], { env, cwd });
  t.is(up.code, 0, up.stderr);
  t.is(
    up.stdout.split('\n')[0],
    'usa          applied: 0001_extensions, 0002_schemas, 0003_registry, 0004_link_role, 0005_entity_identity, 0006_region_gbr, 0007_region_aus, 0008_functions_identity',
  );
  // usa (10) and gbr (11) cannot present a certificate, so every region takes the link role's password
  t.is(up.stdout.split('\n')[1], '             links: to aus by password (SCRAM), to gbr by password (SCRAM)');
  t.is(up.stderr, '', 'no warning: every link is verify-full');
  const done = await run(['migrate', 'status', '--all', ...common], { env, cwd });
  t.is(done.code, 0);
  for (const output of [pending, up, done, noSecret]) {
    for (const secret of Object.values(env)) t.false(`${output.stdout}${output.stderr}`.includes(secret));
  }
  // the generated files hold no secret either
  for (const region of ['usa', 'gbr', 'aus']) {
    for (const file of readdirSync(join(fleet.dir, region))) {
      const { readFileSync } = await import('node:fs');
      const text = readFileSync(join(fleet.dir, region, file), 'utf8');
      for (const secret of Object.values(env)) t.false(text.includes(secret), file);
    }
  }
});
