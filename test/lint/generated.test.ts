import test from 'ava';
import { fileURLToPath } from 'node:url';
import { lintFiles } from '../../src/lint/lintFiles.js';
import { fixtureConfig } from '../helpers/fixtures.js';

// The generated history is what pg-residency itself creates (foreign
// partitions, grants to the link role, the generated functions): the linter
// must accept all of it, for every fixture fleet, hostile names included.
const repo = fileURLToPath(new URL('../..', import.meta.url));

for (const [fixture, folder] of [
  ['seed', 'generated'],
  ['seed-routing', 'test/render/snapshots/seed-routing'],
  ['fleet4', 'test/render/snapshots/fleet4'],
  ['fleet4-routing', 'test/render/snapshots/fleet4-routing'],
  ['hostile', 'test/render/snapshots/hostile'],
] as const) {
  test(`lint is quiet on the generated history of ${fixture}`, async (t) => {
    const report = await lintFiles({ config: fixtureConfig(fixture), paths: [folder], cwd: repo, squawk: fixture === 'seed' });
    t.deepEqual(report.findings, []);
    t.deepEqual(report.notes, []);
    t.true(report.ok);
  });
}
