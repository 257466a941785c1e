import test from 'ava';
import { readFileSync } from 'node:fs';
import { parseConfig } from '../../src/config/parseConfig.js';
import { genMigrations, type GeneratedFs } from '../../src/render/genMigrations.js';
import { fixtureConfig, shippedTemplates } from '../helpers/fixtures.js';

function memoryFs(initial: Record<string, string> = {}) {
  const files = new Map(Object.entries(initial));
  const writes: string[] = [];
  const fs: GeneratedFs = {
    read: (p) => Promise.resolve(files.get(p)),
    write: (p, c) => {
      writes.push(p);
      files.set(p, c);
      return Promise.resolve();
    },
    list: (dir) =>
      Promise.resolve(
        [...files.keys()]
          .filter((p) => p.startsWith(`${dir}/`) && !p.slice(dir.length + 1).includes('/'))
          .map((p) => p.slice(dir.length + 1))
          .sort(),
      ),
    remove: (p) => {
      files.delete(p);
      return Promise.resolve();
    },
  };
  return { fs, files, writes };
}

const run = async (fs: GeneratedFs, options: { check?: boolean; force?: boolean; fixture?: string } = {}) =>
  genMigrations({
    config: fixtureConfig(options.fixture ?? 'seed'),
    templates: await shippedTemplates(),
    outDir: 'gen',
    check: options.check ?? false,
    force: options.force ?? false,
    fs,
  });

test('generates every region, then regenerating changes no byte', async (t) => {
  const mem = memoryFs();
  const first = await run(mem.fs);
  t.deepEqual(
    first.map((r) => [r.region, r.status, r.files.length]),
    [
      ['usa', 'written', 13],
      ['gbr', 'written', 13],
      ['aus', 'written', 13],
    ],
  );
  t.true(
    mem.files.has('gen/usa/0010_functions_identity.sql') &&
      mem.files.has('gen/usa/residency.sum') &&
      mem.files.has('gen/usa/state.json') &&
      mem.files.has('gen/usa/manifest.json'),
  );
  const before = new Map(mem.files);
  mem.writes.length = 0;
  const second = await run(mem.fs);
  t.deepEqual(
    second.map((r) => r.status),
    ['unchanged', 'unchanged', 'unchanged'],
  );
  t.deepEqual(mem.writes, []);
  t.deepEqual(mem.files, before);
});

test('--check names edited, missing and extra files and writes nothing', async (t) => {
  const mem = memoryFs();
  await run(mem.fs);
  mem.files.set('gen/usa/0002_schemas.sql', `${mem.files.get('gen/usa/0002_schemas.sql')}-- edited\n`);
  mem.files.delete('gen/gbr/0007_region_usa.sql');
  mem.files.set('gen/aus/9999_extra.sql', 'select 1;\n');
  mem.writes.length = 0;
  const result = await run(mem.fs, { check: true });
  t.deepEqual(
    result.map((r) => [r.status, r.files]),
    [
      ['stale', ['usa/0002_schemas.sql']],
      ['stale', ['gbr/0007_region_usa.sql']],
      ['stale', ['aus/9999_extra.sql']],
    ],
  );
  t.deepEqual(mem.writes, []);
});

test('a changed regions.yaml appends a step; files already generated keep every byte; generating again writes nothing', async (t) => {
  const mem = memoryFs();
  await run(mem.fs, { fixture: 'seed' });
  const before = new Map(mem.files);
  // routing mode everywhere: since writes go through dblink, the functions are the same in both modes,
  // so only the recorded state changes
  const changed = await run(mem.fs, { fixture: 'seed-routing' });
  t.deepEqual(
    changed.map((r) => [r.region, r.status, r.files]),
    [
      ['usa', 'written', ['usa/state.json']],
      ['gbr', 'written', ['gbr/state.json']],
      ['aus', 'written', ['aus/state.json']],
    ],
  );
  for (const [path, bytes] of before) if (path.endsWith('.sql')) t.is(mem.files.get(path), bytes, path);
  t.deepEqual(
    (await run(mem.fs, { fixture: 'seed-routing' })).map((r) => r.status),
    ['unchanged', 'unchanged', 'unchanged'],
  );
});

test('a template change appends a step that replaces the functions it changes, and nothing else', async (t) => {
  const mem = memoryFs();
  await run(mem.fs);
  const templates = await shippedTemplates();
  const changed = { ...templates, 'functions/header': `${templates['functions/header']!}\n-- (a fix in a new pg-residency version)\n` };
  const result = await genMigrations({
    config: fixtureConfig('seed'),
    templates: changed,
    outDir: 'gen',
    check: false,
    force: false,
    fs: mem.fs,
  });
  t.deepEqual(
    result.map((r) => r.files.filter((f) => f.endsWith('.sql'))),
    [['usa/0011_step2_functions_identity.sql'], ['gbr/0011_step2_functions_identity.sql'], ['aus/0011_step2_functions_identity.sql']],
  );
  t.true(mem.files.get('gen/usa/0011_step2_functions_identity.sql')!.includes('-- (a fix in a new pg-residency version)'));
});

test('a history without the reads across regions gets them by an appended step, before the functions that call them', async (t) => {
  const mem = memoryFs();
  await run(mem.fs);
  // a history from before issue 21: no reads recorded, functions without the read wrappers
  const templates = await shippedTemplates();
  for (const region of ['usa', 'gbr', 'aus']) {
    const path = `gen/${region}/state.json`;
    const state = JSON.parse(mem.files.get(path)!) as { code: Record<string, unknown> };
    delete state.code.reads;
    mem.files.set(path, `${JSON.stringify(state, null, 2)}\n`);
  }
  const changed = { ...templates, 'functions/header': `${templates['functions/header']!}\n-- (a fix)\n` };
  const result = await genMigrations({
    config: fixtureConfig('seed'),
    templates: changed,
    outDir: 'gen',
    check: false,
    force: false,
    fs: mem.fs,
  });
  t.deepEqual(
    result[0]!.files.filter((f) => f.endsWith('.sql')),
    ['usa/0011_step2_reads.sql', 'usa/0012_step2_functions_identity.sql'],
  );
  const reads = mem.files.get('gen/usa/0011_step2_reads.sql')!;
  t.true(reads.includes('CREATE OR REPLACE FUNCTION "residency"."get_many"(row_type anyelement, keys jsonb)'));
  t.true(reads.includes('DROP FUNCTION "residency"."get_many"(anyelement, jsonb);'), 'down drops them');
  t.true(JSON.parse(mem.files.get('gen/usa/state.json')!).code.reads.file === '0011_step2_reads.sql');
});

test('gen-migrations --check gives the same answer whatever hosts and ports the environment sets', async (t) => {
  const mem = memoryFs();
  await run(mem.fs);
  const other = fixtureConfig('seed', { PG_RESIDENCY_USA_PORT: '6001', PG_RESIDENCY_GBR_PORT: '6002', PG_RESIDENCY_AUS_PORT: '6003' });
  t.is(other.regions[0]!.fdw.port, 6001);
  const checked = await genMigrations({
    config: other,
    templates: await shippedTemplates(),
    outDir: 'gen',
    check: true,
    force: false,
    fs: mem.fs,
  });
  t.deepEqual(
    checked.map((r) => r.status),
    ['unchanged', 'unchanged', 'unchanged'],
  );
  for (const [path, bytes] of mem.files) t.false(/\b(6001|54310|127\.0\.0\.1)\b/.test(bytes), path);
});

test('a destructive change is refused without --allow-destructive, naming it, and writes nothing', async (t) => {
  const mem = memoryFs();
  await run(mem.fs);
  const before = new Map(mem.files);
  const seed = readFileSync(new URL('../../regions.yaml', import.meta.url), 'utf8');
  const config = parseConfig(seed.replace('      - { name: note, type: text }\n', ''), 'regions.yaml', {});
  const input = { config, templates: await shippedTemplates(), outDir: 'gen', check: false, force: false, fs: mem.fs };
  const error = await t.throwsAsync(genMigrations(input));
  t.true(
    error.message.includes(
      'region "usa": drop mirrored column "note" of shared.identity and its values (destructive: generate with --allow-destructive)',
    ),
    error.message,
  );
  t.deepEqual(mem.files, before);
  const allowed = await genMigrations({ ...input, allowDestructive: true, name: 'drop-note' });
  t.deepEqual(allowed[0]!.destructive, ['usa/0011_drop_note_contract.sql: drop mirrored column "note" of shared.identity and its values']);
  t.true(mem.files.get('gen/usa/0011_drop_note_contract.sql')!.includes('-- DESTRUCTIVE (generated with --allow-destructive):\n'));
});

test('a region upgraded from PostgreSQL 10 to 16 gets native functions and the version-gated server options; no table is rebuilt', async (t) => {
  const mem = memoryFs();
  await run(mem.fs);
  const seed = readFileSync(new URL('../../regions.yaml', import.meta.url), 'utf8');
  const config = parseConfig(seed.replace('    postgres: 10\n', '    postgres: 16\n'), 'regions.yaml', {});
  t.is(config.regions[0]!.mode, 'native');
  const result = await genMigrations({
    config,
    templates: await shippedTemplates(),
    outDir: 'gen',
    check: false,
    force: false,
    name: 'pg16',
    fs: mem.fs,
  });
  t.deepEqual(
    result.map((r) => r.files.filter((f) => f.endsWith('.sql'))),
    [['usa/0011_pg16_server_options.sql'], [], []],
  );
  const options = mem.files.get('gen/usa/0011_pg16_server_options.sql')!;
  t.true(options.includes(`ALTER SERVER "gbr" OPTIONS (ADD "async_capable" 'true');`), options);
  t.true(options.includes(`ALTER SERVER "aus" OPTIONS (ADD "parallel_abort" 'true');`), options);
  t.true(options.includes(`ALTER SERVER "gbr" OPTIONS (DROP "async_capable");`), options);
  t.false(/CREATE TABLE|ALTER TABLE/.test(options));
  t.true(options.includes('(PostgreSQL 16, native mode)'));
});

test('a history generated before two-phase writes gets them by an appended step: dblink and apply functions first, retired foreign tables dropped last', async (t) => {
  const mem = memoryFs();
  await run(mem.fs);
  // what pg-residency 0.1 recorded: no `writes`
  for (const region of ['usa', 'gbr', 'aus']) {
    const path = `gen/${region}/state.json`;
    const state = JSON.parse(mem.files.get(path)!) as Record<string, unknown>;
    delete state.writes;
    mem.files.set(path, `${JSON.stringify(state, null, 2)}\n`);
  }
  const result = await genMigrations({
    config: fixtureConfig('seed'),
    templates: await shippedTemplates(),
    outDir: 'gen',
    check: false,
    force: false,
    name: 'two-phase',
    fs: mem.fs,
  });
  t.deepEqual(
    result[0]!.files.filter((f) => f.endsWith('.sql')),
    ['usa/0011_two_phase_expand.sql', 'usa/0012_two_phase_contract_remote.sql'],
  );
  const expand = mem.files.get('gen/usa/0011_two_phase_expand.sql')!;
  t.true(expand.includes('-- pg-residency-phase: local\n'));
  t.true(expand.includes('CREATE EXTENSION IF NOT EXISTS dblink SCHEMA residency_dblink;'));
  t.true(expand.includes('CREATE SERVER "usa" FOREIGN DATA WRAPPER postgres_fdw;'));
  t.true(expand.includes('CREATE FUNCTION "shared"."apply_identity"(part jsonb)'));
  const contract = mem.files.get('gen/usa/0012_two_phase_contract_remote.sql')!;
  t.true(contract.includes('DROP FOREIGN TABLE "gbr"."identity_details_in";\nDROP FOREIGN TABLE "gbr"."identity";'));
  t.true(contract.includes('CREATE FOREIGN TABLE "aus"."identity_details_in" ('), 'down recreates them');
  t.is((JSON.parse(mem.files.get('gen/usa/state.json')!) as { writes?: string }).writes, 'two_phase');
});
