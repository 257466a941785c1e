import test from 'ava';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { genMigrations, type GeneratedFs } from '../../src/render/genMigrations.js';
import { renderRegion } from '../../src/render/renderRegion.js';
import { fixtureConfig, shippedTemplates } from '../helpers/fixtures.js';

// Whole generated trees, committed as plain SQL under test/render/snapshots/
// so that a reviewer reads a template change as a SQL diff.
// Update them with: UPDATE_SNAPSHOTS=1 npx ava test/render/snapshots.test.ts
const root = fileURLToPath(new URL('./snapshots', import.meta.url));
const update = process.env.UPDATE_SNAPSHOTS === '1';

// The seed in auto mode (usa routing on 10, gbr and aus native) is the
// committed generated/ folder itself.
const folder = (fixture: string) => (fixture === 'seed' ? fileURLToPath(new URL('../../generated', import.meta.url)) : join(root, fixture));

/** An empty folder that keeps what is written to it. */
function memoryFs(files: Map<string, string>): GeneratedFs {
  return {
    read: (path) => Promise.resolve(files.get(path)),
    write: (path, content) => Promise.resolve(void files.set(path, content)),
    list: () => Promise.resolve([]),
    remove: (path) => Promise.resolve(void files.delete(path)),
  };
}

for (const fixture of ['seed', 'seed-routing', 'fleet4', 'fleet4-routing', 'hostile']) {
  test(`generated tree of ${fixture} matches its committed snapshot`, async (t) => {
    const config = fixtureConfig(fixture);
    const templates = await shippedTemplates();
    const expected = new Map<string, string>();
    for (const region of config.regions) {
      const rendered = renderRegion(config, region.name, templates);
      for (const m of rendered.migrations) expected.set(join(region.name, m.name), m.content);
      expected.set(join(region.name, 'residency.sum'), rendered.sum);
    }
    const dir = folder(fixture);
    if (fixture === 'seed') {
      // generated/ also holds state.json and manifest.json (which residency.sum then covers too):
      // expect what gen-migrations writes, generated afresh in memory
      const written = new Map<string, string>();
      await genMigrations({ config, templates, outDir: 'out', check: false, force: false, fs: memoryFs(written) });
      for (const region of config.regions) {
        for (const file of ['state.json', 'manifest.json', 'residency.sum']) {
          const path = join(region.name, file);
          t.truthy(written.get(join('out', path)), path);
          expected.set(path, written.get(join('out', path))!);
        }
      }
    }
    if (update && fixture !== 'seed') {
      rmSync(dir, { recursive: true, force: true });
      for (const [path, content] of expected) {
        mkdirSync(join(dir, path, '..'), { recursive: true });
        writeFileSync(join(dir, path), content);
      }
    }
    t.true(existsSync(dir), `no snapshot for ${fixture}; run with UPDATE_SNAPSHOTS=1`);
    const actual = readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
      .sort();
    t.deepEqual(actual, [...expected.keys()].sort());
    for (const [path, content] of expected) t.is(readFileSync(join(dir, path), 'utf8'), content, path);
  });
}
