import test from 'ava';
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
      ['usa', 'written', 10],
      ['gbr', 'written', 10],
      ['aus', 'written', 10],
    ],
  );
  t.true(
    mem.files.has('gen/usa/0008_functions_identity.sql') && mem.files.has('gen/usa/residency.sum') && mem.files.has('gen/usa/state.json'),
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
  mem.files.delete('gen/gbr/0006_region_usa.sql');
  mem.files.set('gen/aus/9999_extra.sql', 'select 1;\n');
  mem.writes.length = 0;
  const result = await run(mem.fs, { check: true });
  t.deepEqual(
    result.map((r) => [r.status, r.files]),
    [
      ['stale', ['usa/0002_schemas.sql']],
      ['stale', ['gbr/0006_region_usa.sql']],
      ['stale', ['aus/9999_extra.sql']],
    ],
  );
  t.deepEqual(mem.writes, []);
});

test('a changed regions.yaml is refused without --force, and nothing is written', async (t) => {
  const mem = memoryFs();
  await run(mem.fs, { fixture: 'seed' });
  const before = new Map(mem.files);
  const error = await t.throwsAsync(run(mem.fs, { fixture: 'seed-routing' }));
  t.regex(
    error.message,
    /^regions\.yaml changed since gen\/usa was generated\. Migrations that a database has applied are never rewritten/,
  );
  t.deepEqual(mem.files, before);
  const forced = await run(mem.fs, { fixture: 'seed-routing', force: true });
  t.deepEqual(
    forced.map((r) => r.status),
    ['written', 'written', 'written'],
  );
});
