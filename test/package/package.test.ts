import test from 'ava';
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MIXED, startFleet, type Fleet } from '../helpers/fleet.js';

// A program of its own, outside the repository, that depends on pg-residency:
// node_modules/pg-residency links to the built package (npm test builds
// first), so the import resolves through package.json `exports` and the types
// through the emitted .d.ts files.
const repo = fileURLToPath(new URL('../..', import.meta.url));

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
const fleet = await connectFleet({ config, env: process.env, defaultRegion: 'usa' });
const people: EntityClient<{ uuid: string; region: string; name: string | null; note?: string | null }> = fleet.entity('identity');
const key = '7139f8aa-7f93-4657-83ad-b7d74a22159f';
const written = await people.upsert({ uuid: key, region: 'gbr', name: 'Da Queen', note: null });
const read = await people.get(key, { region: 'aus' });
let sqlstate: string | undefined;
try {
  await people.rehome(key, 'nowhere');
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

test('a program imports pg-residency by name, generates and migrates a fleet, reads typed results, and writes and reads through connectFleet', async (t) => {
  fleet = await startFleet({ regions: MIXED, migrate: false });
  app = mkdtempSync(join(tmpdir(), 'rsd-app-'));
  mkdirSync(join(app, 'node_modules'));
  symlinkSync(repo, join(app, 'node_modules', 'pg-residency'), 'dir');
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  writeFileSync(join(app, 'main.ts'), CONSUMER);
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        skipLibCheck: true,
        types: ['node'],
        typeRoots: [join(repo, 'node_modules', '@types')],
      },
      files: ['main.ts'],
    }),
  );
  // type-checks the program against the emitted declarations, and compiles it
  execFileSync(process.execPath, [join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app], { cwd: app });

  const out = join(app, 'generated');
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
      ['usa', 'written', 12],
      ['gbr', 'written', 12],
      ['aus', 'written', 12],
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
