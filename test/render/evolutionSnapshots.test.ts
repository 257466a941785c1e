import test from 'ava';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../src/config/parseConfig.js';
import { genMigrations, type GeneratedFs } from '../../src/render/genMigrations.js';
import { shippedTemplates } from '../helpers/fixtures.js';
import { MAJORS, VERSIONS } from '../helpers/evolutionVersions.js';

// The history the integration test's fleet goes through (seven regions.yaml
// versions), generated step by step and committed as SQL under
// test/render/snapshots/evolution/, so a reviewer sees what each delta looks
// like. Update with: UPDATE_SNAPSHOTS=1 npx ava test/render/evolutionSnapshots.test.ts
const dir = fileURLToPath(new URL('./snapshots/evolution', import.meta.url));

function memoryFs(files: Map<string, string>): GeneratedFs {
  return {
    read: (path) => Promise.resolve(files.get(path)),
    write: (path, content) => Promise.resolve(void files.set(path, content)),
    list: (folder) =>
      Promise.resolve(
        [...files.keys()]
          .filter((p) => p.startsWith(`${folder}/`) && !p.slice(folder.length + 1).includes('/'))
          .map((p) => p.slice(folder.length + 1))
          .sort(),
      ),
    remove: (path) => Promise.resolve(void files.delete(path)),
  };
}

test('each regions.yaml version appends its step; the whole history matches its committed snapshot', async (t) => {
  const files = new Map<string, string>();
  const templates = await shippedTemplates();
  for (const v of VERSIONS) {
    const yaml = [
      'regions:',
      ...v.regions.map((r, i) => `  - { name: ${r}, url: "postgres://postgres@127.0.0.1:${5440 + i}/residency", postgres: ${MAJORS[r]} }`),
      'entities:',
      v.entities,
    ].join('\n');
    const config = parseConfig(yaml, `${v.name}.yaml`, {});
    const before = new Map(files);
    const results = await genMigrations({
      config,
      templates,
      outDir: 'out',
      check: false,
      force: false,
      name: v.name,
      allowDestructive: v.destructive ?? false,
      fs: memoryFs(files),
    });
    t.true(
      results.some((r) => r.status === 'written'),
      v.name,
    );
    for (const [path, bytes] of before) if (path.endsWith('.sql')) t.is(files.get(path), bytes, `${v.name}: ${path}`);
  }
  const expected = new Map([...files].map(([path, content]) => [path.slice('out/'.length), content]));
  if (process.env.UPDATE_SNAPSHOTS === '1') {
    rmSync(dir, { recursive: true, force: true });
    for (const [path, content] of expected) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
  }
  t.true(existsSync(dir), 'no snapshot; run with UPDATE_SNAPSHOTS=1');
  const actual = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
  t.deepEqual(actual, [...expected.keys()].sort());
  for (const [path, content] of expected) t.is(readFileSync(join(dir, path), 'utf8'), content, path);
});
