import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, cp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sumProblems } from '../../src/format/checksum.js';
import { parseManifest } from '../../src/format/manifestFile.js';
import { expectedObjects, expectedObjectsIn, foldObjects } from '../../src/verify/expectedObjects.js';

const history = 'test/render/snapshots/evolution';
const sqlFiles = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((name) => ({ name, content: readFileSync(join(dir, name), 'utf8') }));

for (const region of ['usa', 'gbr', 'aus', 'can']) {
  test(`${region}: the manifest written with the history records what parsing its files finds, file by file`, async (t) => {
    const dir = join(history, region);
    const text = readFileSync(join(dir, 'manifest.json'), 'utf8');
    const manifest = parseManifest(text, 'manifest.json')!;
    const files = sqlFiles(dir);
    t.deepEqual(
      Object.keys(manifest.files),
      files.map((f) => f.name),
    );
    t.deepEqual(sumProblems(readFileSync(join(dir, 'residency.sum'), 'utf8'), files, text), []);
    // the whole history, and every prefix of it (a region part-way through)
    for (const n of [files.length, Math.ceil(files.length / 2)]) {
      const prefix = files.slice(0, n);
      t.deepEqual(
        foldObjects(prefix.map((f) => manifest.files[f.name]!)),
        await expectedObjects(prefix.map((f) => f.content)),
        `${n} files`,
      );
    }
  });
}

test('verify reads the manifest when it covers the applied files, and parses the files of a history without one', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'manifest-'));
  try {
    await cp(join(history, 'usa'), dir, { recursive: true });
    const applied = sqlFiles(dir).map((f) => ({ file: f.name, content: f.content }));
    const fromManifest = await expectedObjectsIn(dir, applied);
    t.is(fromManifest.source, 'manifest');
    t.true(fromManifest.relations.has('usa.identity_details'));
    await rm(join(dir, 'manifest.json'));
    const parsed = await expectedObjectsIn(dir, applied);
    t.is(parsed.source, 'parsed');
    for (const key of ['schemas', 'relations', 'types', 'servers', 'functionNames', 'signatures', 'bodies'] as const)
      t.deepEqual(fromManifest[key], parsed[key], key);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a manifest edited after generation is refused: residency.sum covers it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'manifest-'));
  try {
    await cp(join(history, 'usa'), dir, { recursive: true });
    const text = readFileSync(join(dir, 'manifest.json'), 'utf8');
    await writeFile(join(dir, 'manifest.json'), text.replace('"usa.identity_details"', '"usa.something_else"'));
    const applied = sqlFiles(dir).map((f) => ({ file: f.name, content: f.content }));
    await t.throwsAsync(expectedObjectsIn(dir, applied), { message: /manifest\.json was edited after it was generated/ });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
