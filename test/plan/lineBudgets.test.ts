import test from 'ava';
import { parseConfig } from '../../src/config/parseConfig.js';
import { genMigrations, type GeneratedFs } from '../../src/render/genMigrations.js';
import { shippedTemplates } from '../helpers/fixtures.js';

// Issue 18: a small change appends a small diff. A 10-region x 10-entity fleet
// is generated (no servers), then one step per kind of small change; the lines
// a step appends are counted over every region's new files, headers included.
// Budgets: a default change <= 200, an app_roles entry <= 200, a mirrored column <= 800.

const REGIONS = ['usa', 'gbr', 'aus', 'can', 'deu', 'fra', 'jpn', 'bra', 'ind', 'zaf'];
const MAJORS = [10, 11, 18, 11, 18, 10, 18, 11, 18, 11];

interface Knobs {
  readonly defaultOfE0: string;
  readonly appRoles: readonly string[];
  readonly extraMirrored: boolean;
}

function yaml(k: Knobs): string {
  const entities = Array.from({ length: 10 }, (_, i) =>
    [
      `  - name: e${i}`,
      `    schema: s${i % 3}`,
      `    key: { name: id, type: uuid }`,
      `    mirrored:`,
      `      - { name: note, type: text${i === 0 ? `, default: "${k.defaultOfE0}"` : ''} }`,
      `      - { name: created_on, type: timestamptz, default: now() }`,
      ...(k.extraMirrored && i === 0 ? [`      - { name: phone_kind, type: text }`] : []),
      `    resident:`,
      `      - { name: name, type: text }`,
      `      - { name: email, type: text }`,
    ].join('\n'),
  );
  return [
    ...(k.appRoles.length > 0 ? [`app_roles: [${k.appRoles.join(', ')}]`] : []),
    'regions:',
    ...REGIONS.map((r, i) => `  - { name: ${r}, url: "postgres://postgres@127.0.0.1:${5440 + i}/residency", postgres: ${MAJORS[i]} }`),
    'entities:',
    ...entities,
  ].join('\n');
}

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

/** Generates each version in turn; returns the SQL lines each step after the first appended, over all regions. */
async function appendedLines(versions: readonly Knobs[]): Promise<number[]> {
  const templates = await shippedTemplates();
  const files = new Map<string, string>();
  const counts: number[] = [];
  for (const [i, knobs] of versions.entries()) {
    const before = new Set(files.keys());
    await genMigrations({
      config: parseConfig(yaml(knobs), `v${i}.yaml`, {}),
      templates,
      outDir: 'out',
      check: false,
      force: false,
      name: `v${i}`,
      allowDestructive: false,
      fs: memoryFs(files),
    });
    const added = [...files].filter(([path]) => !before.has(path) && path.endsWith('.sql'));
    counts.push(added.reduce((sum, [, text]) => sum + text.split('\n').length - (text.endsWith('\n') ? 1 : 0), 0));
  }
  return counts.slice(1);
}

const BASE: Knobs = { defaultOfE0: "'none'", appRoles: ['app_rw'], extraMirrored: false };

// One walk, measured once: a default change, then an app_roles entry, then a mirrored column.
const measured = appendedLines([
  BASE,
  { ...BASE, defaultOfE0: "'unknown'" },
  { ...BASE, defaultOfE0: "'unknown'", appRoles: ['app_rw', 'app_ro'] },
  { ...BASE, defaultOfE0: "'unknown'", appRoles: ['app_rw', 'app_ro'], extraMirrored: true },
]);

test('a mirrored column appends at most 800 lines on a 10 x 10 fleet (the row type attribute and one overload per region)', async (t) => {
  const [, , columnAdded] = await measured;
  t.log(`mirrored column: ${columnAdded} lines`);
  t.true(columnAdded! <= 800, `a mirrored column appends ${columnAdded} lines (budget 800)`);
});

// The functions no longer embed defaults or roles (issue 18, expand); a
// default change is one ALTER TABLE per region in its frame (header, timeouts,
// registry lock: 20 lines a region).
test('a default change appends at most 200 lines on a 10 x 10 fleet', async (t) => {
  const [defaultChange] = await measured;
  t.log(`default change: ${defaultChange} lines`);
  t.true(defaultChange! <= 200, `a default change appends ${defaultChange} lines (budget 200)`);
});

// An app_roles entry is one membership of the app group per region (the group
// holds every grant on the generated objects): `GRANT "residency_app" TO
// "app_ro";` in expand, 20 lines a region with the frame (2,150 when each
// entity's tables and functions were granted to the role directly).
test('an app_roles entry appends at most 200 lines on a 10 x 10 fleet', async (t) => {
  const [, roleAdded] = await measured;
  t.log(`app_roles entry: ${roleAdded} lines`);
  t.true(roleAdded! <= 200, `an app_roles entry appends ${roleAdded} lines (budget 200)`);
});
