import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assembleStep } from '../../../src/plan/assembleStep.js';
import { CONTRACT, CONTRACT_REMOTE, EXPAND, ownFile, type ChangeOp, type Contribution } from '../../../src/plan/ops/changeOp.js';
import { sectionBodies } from '../../../src/format/migrationSection.js';

const block = (name: string) => ({ up: `-- up ${name}`, down: `-- down ${name}`, template: name });
const op = (kind: string, ...parts: Contribution[]): ChangeOp => ({
  kind,
  summary: kind,
  wave: 'local',
  destroys: [],
  validate: () => [],
  render: () => parts,
});

test('assembleStep: expand, files of their own by rank then order, contract_remote, contract; blocks by rank then order within a file', (t) => {
  const files = assembleStep([
    op('a', { target: EXPAND, blocks: [block('a')], change: 'a' }, { target: CONTRACT, blocks: [block('a-drop')] }),
    op('f', { target: ownFile('functions_x', 7, 'unlisted'), blocks: [block('new')], rank: 1, change: 'replace' }),
    op('f0', { target: ownFile('functions_x', 7, 'unlisted'), blocks: [block('old')], rank: -1 }),
    op('r', { target: ownFile('functions_x', 7, 'unlisted'), blocks: [block('rename')], change: 'rename' }),
    op('region', { target: ownFile('region_can', 2), blocks: [block('server')], change: 'region' }),
    op('drop', { target: ownFile('drop_functions_y', 0, 'listed'), blocks: [block('dropped')] }, { target: CONTRACT_REMOTE, blocks: [] }),
    op('twophase', { target: EXPAND, rank: -1, blocks: [block('dblink')], creates: [{ id: 'runtime two_phase', sha256: 'h' }] }),
    op('empty', { target: CONTRACT_REMOTE, blocks: [], change: 'nothing to drop' }),
  ]);
  t.deepEqual(
    files.map((f) => [f.slug, f.phase, f.lock, f.blocks.map((b) => b.template).join(' ')]),
    [
      ['expand', 'local', 'listed', 'dblink a'],
      ['drop_functions_y', 'remote', 'listed', 'dropped'],
      ['region_can', 'remote', 'none', 'server'],
      ['functions_x', 'remote', 'unlisted', 'old rename new'],
      ['contract', 'local', 'listed', 'a-drop'],
    ],
    'a shared file with no block is left out',
  );
  t.deepEqual(files[0]!.creates, [{ id: 'runtime two_phase', sha256: 'h' }]);
  t.deepEqual(files[3]!.changes, ['rename', 'replace']);
});

// issue 18, finding 5: the registry lock is taken before any DDL in both directions of an appended file
test('every appended file that takes the registry lock takes it first in up and in down', (t) => {
  const history = 'test/render/snapshots/evolution';
  let locked = 0;
  for (const region of readdirSync(history)) {
    for (const file of readdirSync(join(history, region)).filter((f) => f.endsWith('.sql'))) {
      const content = readFileSync(join(history, region, file), 'utf8');
      if (!content.includes('\n-- Step ')) continue;
      const { up, down } = sectionBodies(content);
      const first = (section: string) =>
        section.split('\n').filter((l) => l !== '' && !l.startsWith('--') && !l.startsWith('SET LOCAL'))[0];
      const lock = 'LOCK TABLE "residency"."regions" IN ACCESS EXCLUSIVE MODE;';
      t.is(up.includes(lock), down.includes(lock), `${region}/${file}`);
      if (!up.includes(lock)) continue;
      locked += 1;
      t.is(first(up), lock, `${region}/${file} up`);
      t.is(first(down), lock, `${region}/${file} down`);
    }
  }
  t.true(locked > 10, `${locked} locked files`);
});
