import test from 'ava';
import { readsObject, replaceCode, runtimeObjects } from '../../../src/plan/ops/replaceCode.js';
import { fleetYaml, opContext } from './opContext.js';

test('replaceCode: nothing when what renders now has the recorded hash', async (t) => {
  const ctx = await opContext(fleetYaml(), fleetYaml());
  const reads = readsObject(ctx);
  const now = ctx.render(ctx.newConfig, reads.block);
  const recorded = await opContext(fleetYaml(), fleetYaml(), 'usa', {
    code: { reads: { file: '0009_reads.sql', sha256: ctx.codeHash([now]) } },
  });
  t.is(replaceCode(recorded, readsObject(recorded)), undefined);
});

test('replaceCode: an object new to the region is created, one a template changed is replaced and restored on down', async (t) => {
  const created = replaceCode(await opContext(fleetYaml(), fleetYaml()), readsObject(await opContext(fleetYaml(), fleetYaml())))!;
  t.is(created.wave, 'remote');
  t.is(created.summary, 'create the reads across regions');
  const old =
    '-- Up Migration\n-- pg-residency-begin: reads\nCREATE FUNCTION "residency"."old_read"() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;\n-- pg-residency-end: reads\n-- Down Migration\n';
  const ctx = await opContext(fleetYaml(), fleetYaml(), 'usa', {
    code: { reads: { file: '0009_reads.sql', sha256: 'before' } },
    readFile: () => old,
  });
  const op = replaceCode(ctx, readsObject(ctx))!;
  t.is(op.summary, 'replace the reads across regions (before: 0009_reads.sql)');
  const [part] = op.render();
  t.deepEqual(part!.target, { file: 'own', slug: 'reads', rank: 6, lock: 'none' });
  // down: what the new text created goes (a function the old text lacks would stay), then the old text
  const down = part!.blocks[0]!.down;
  t.true(down.endsWith('CREATE FUNCTION "residency"."old_read"() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;'), down);
  t.regex(down, /^DROP FUNCTION "residency"\."find"\(anyelement, jsonb, integer, jsonb\);/);
  t.regex(down, /DROP FUNCTION "residency"\."read_send"\(jsonb, text\);/);
  t.deepEqual(
    part!.creates!.map((c) => c.id),
    ['reads'],
  );
});

test('replaceCode: the runtime library and apply functions are one file (runtime, under the registry lock), each replaced by what dropped it then the new body', async (t) => {
  const marked = (id: string) =>
    `-- Up Migration\n-- pg-residency-begin: ${id}\nCREATE FUNCTION a();\n-- pg-residency-end: ${id}\n-- Down Migration\n-- pg-residency-begin: ${id}\nDROP FUNCTION a();\n-- pg-residency-end: ${id}\n`;
  const ctx = await opContext(fleetYaml(), fleetYaml(), 'usa', {
    code: {
      'runtime registry': { file: '0003_registry.sql', sha256: 'old' },
      'runtime two_phase': { file: '0005_two_phase.sql', sha256: 'old' },
      'apply shared.identity': { file: '0006_entity_identity.sql', sha256: 'old' },
    },
    readFile: (name) =>
      marked(
        name === '0003_registry.sql' ? 'runtime registry' : name === '0005_two_phase.sql' ? 'runtime two_phase' : 'apply shared.identity',
      ),
  });
  const ops = runtimeObjects(ctx, ctx.newConfig.entities).map((o) => replaceCode(ctx, o)!);
  t.deepEqual(
    ops.map((o) => o.summary),
    [
      'replace the runtime functions of registry (before: 0003_registry.sql)',
      'replace the runtime functions of two_phase (before: 0005_two_phase.sql)',
      'replace apply shared.identity (before: 0006_entity_identity.sql)',
    ],
  );
  for (const op of ops) {
    const [part] = op.render();
    t.deepEqual(part!.target, { file: 'own', slug: 'runtime', rank: 5, lock: 'listed' });
    t.true(part!.blocks[0]!.up.startsWith('DROP FUNCTION a();\n\n'));
    t.true(part!.blocks[0]!.down.endsWith('\n\nCREATE FUNCTION a();'));
  }
});
