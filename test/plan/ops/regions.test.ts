import test from 'ava';
import { addRegion } from '../../../src/plan/ops/addRegion.js';
import { removeRegion } from '../../../src/plan/ops/removeRegion.js';
import { changeServerOptions, serverOptionsOf } from '../../../src/plan/ops/serverOptions.js';
import { fleetYaml, opContext, sql } from './opContext.js';

const three = fleetYaml();
const four = fleetYaml({ regions: ['usa', 'gbr', 'aus', 'can'] });

test('addRegion: server, user mapping, foreign tables, then the registry row, in a remote file of its own', async (t) => {
  const ctx = await opContext(three, four);
  const op = addRegion(ctx, ctx.newConfig.regions[3]!);
  t.is(op.wave, 'remote');
  const [part] = op.render();
  t.deepEqual(part!.target, { file: 'own', slug: 'region_can', rank: 2, lock: 'none' });
  t.deepEqual(
    part!.blocks.map((b) => b.template),
    ['server', 'foreign_tables', 'region_row'],
  );
});

test('removeRegion: destructive, under the registry lock, refused while the region owns rows; down brings back its server, foreign tables and row', async (t) => {
  const ctx = await opContext(four, three);
  const op = removeRegion(ctx, ctx.oldConfig.regions[3]!);
  t.deepEqual(op.destroys, ['remove region "can" from the fleet']);
  const [part] = op.render();
  t.deepEqual(part!.target, { file: 'own', slug: 'remove_region_can', rank: 3, lock: 'listed' });
  t.deepEqual(
    part!.blocks.map((b) => b.template),
    ['region_leave', 'region_row', 'foreign_tables', 'server'],
  );
  t.regex(sql([part!], 'down'), /CREATE SERVER/);
});

test('server options follow the region major: a change adds, sets and drops options on every kept server', async (t) => {
  const ctx = await opContext(three, three.replace('postgres: 10', 'postgres: 16'));
  const before = serverOptionsOf(ctx.oldConfig, ctx.hereBefore);
  const after = serverOptionsOf(ctx.newConfig, ctx.here);
  const [part] = changeServerOptions(ctx, before, after).render();
  t.is(part!.blocks.length, 2);
  t.regex(sql([part!], 'up'), /ALTER SERVER "gbr" OPTIONS \(ADD "async_capable" 'true'\);/);
  t.regex(sql([part!], 'down'), /ALTER SERVER "gbr" OPTIONS \(DROP "async_capable"\);/);
});

test('server options follow fdw_options: a new fetch_size is set on every kept server of every major, and set back on down', async (t) => {
  const larger = `fdw_options: { fetch_size: 5000 }\n${three}`;
  for (const region of ['usa', 'gbr', 'aus']) {
    const ctx = await opContext(three, larger, region);
    const before = serverOptionsOf(ctx.oldConfig, ctx.hereBefore);
    const after = serverOptionsOf(ctx.newConfig, ctx.here);
    t.is(before.get('fetch_size'), '1000', region);
    t.is(after.get('fetch_size'), '5000', region);
    const [part] = changeServerOptions(ctx, before, after).render();
    const up = sql([part!], 'up');
    for (const other of ['usa', 'gbr', 'aus'].filter((r) => r !== region)) {
      t.regex(up, new RegExp(`ALTER SERVER "${other}" OPTIONS \\(SET "fetch_size" '5000'\\);`), region);
    }
    t.notRegex(up, /async_capable/, region);
    t.regex(sql([part!], 'down'), /OPTIONS \(SET "fetch_size" '1000'\);/, region);
  }
});
