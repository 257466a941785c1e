import test from 'ava';
import { addColumn } from '../../../src/plan/ops/addColumn.js';
import { alterColumn } from '../../../src/plan/ops/alterColumn.js';
import { dropColumn } from '../../../src/plan/ops/dropColumn.js';
import { config, fleetYaml, opContext, sql } from './opContext.js';

const base = fleetYaml();
const withColumns = (mirrored: string, resident = '      - { name: full_name, type: text }') =>
  fleetYaml({ columns: ['    resident:', resident, '    mirrored:', mirrored].join('\n') });

test('addColumn: a mirrored column is ADD COLUMN on the entity table in expand (local wave); down drops it', async (t) => {
  const to = withColumns('      - { name: tier, type: text }\n      - { name: phone, type: text, default: "\'none\'" }');
  const ctx = await opContext(base, to);
  const entity = ctx.to.entities[0]!;
  const op = addColumn(ctx, entity, 'mirrored', entity.mirrored[1]!, ctx.from.entities[0]!);
  t.is(op.wave, 'local');
  t.deepEqual(op.destroys, []);
  t.deepEqual(op.validate(), []);
  const parts = op.render();
  t.deepEqual(
    parts.map((p) => [p.target.file, p.change]),
    [['expand', 'add mirrored column "phone" to shared.identity']],
  );
  t.regex(
    sql(parts, 'up'),
    /ALTER TABLE "shared"\."identity" ADD COLUMN "phone" text;\nALTER TABLE "shared"\."identity" ALTER COLUMN "phone" SET DEFAULT 'none';/,
  );
  t.regex(sql(parts, 'down'), /ALTER TABLE "shared"\."identity" DROP COLUMN "phone";/);
});

test('addColumn: a resident column gets no statistics on its details table nor on the foreign partitions', async (t) => {
  const to = withColumns(
    '      - { name: tier, type: text }',
    '      - { name: full_name, type: text }\n      - { name: email, type: text }',
  );
  const ctx = await opContext(base, to);
  const entity = ctx.to.entities[0]!;
  const up = sql(addColumn(ctx, entity, 'resident', entity.resident[1]!, ctx.from.entities[0]!).render(), 'up');
  t.regex(up, /ALTER TABLE "shared"\."identity_details" ADD COLUMN "email" text;/);
  t.regex(up, /ALTER FOREIGN TABLE "gbr"\."identity_details" ALTER COLUMN "email" SET STATISTICS 0;/);
  t.regex(up, /ALTER FOREIGN TABLE "aus"\."identity_details" ALTER COLUMN "email" SET STATISTICS 0;/);
});

test('addColumn: not_null, or a column moving between mirrored and resident, is refused with the way to do it', async (t) => {
  const to = withColumns('      - { name: tier, type: text }\n      - { name: phone, type: text, not_null: true }');
  const ctx = await opContext(base, to);
  const entity = ctx.to.entities[0]!;
  t.deepEqual(addColumn(ctx, entity, 'mirrored', entity.mirrored[1]!, ctx.from.entities[0]!).validate(), [
    'shared.identity: new column "phone" is not_null; existing rows have no value for it. Add it without not_null, fill it, then set not_null in a later step',
  ]);
  const moved = config(withColumns('      - { name: full_name, type: text }', '      - { name: tier, type: text }')).entities[0]!;
  t.regex(
    addColumn(ctx, moved, 'mirrored', moved.mirrored[0]!, ctx.from.entities[0]!).validate()[0]!,
    /moves between mirrored and resident/,
  );
});

test('alterColumn: a first default is SET DEFAULT and a fill of the NULLs up, DROP DEFAULT down; a type change is refused', async (t) => {
  const to = withColumns('      - { name: tier, type: text, default: "\'free\'" }');
  const ctx = await opContext(base, to);
  const entity = ctx.to.entities[0]!;
  const op = alterColumn(ctx, entity, 'mirrored', ctx.from.entities[0]!.mirrored[0]!, entity.mirrored[0]!);
  t.is(op.summary, 'change the default of column "tier" of shared.identity');
  t.deepEqual(op.validate(), []);
  t.regex(sql(op.render(), 'up'), /^ALTER TABLE "shared"\."identity" ALTER COLUMN "tier" SET DEFAULT 'free';/);
  t.regex(sql(op.render(), 'up'), /filled with the default of/);
  t.is(sql(op.render(), 'down'), `ALTER TABLE "shared"."identity" ALTER COLUMN "tier" DROP DEFAULT;`);
  const retyped = config(withColumns('      - { name: tier, type: integer }')).entities[0]!;
  t.regex(
    alterColumn(ctx, retyped, 'mirrored', ctx.from.entities[0]!.mirrored[0]!, retyped.mirrored[0]!).validate()[0]!,
    /changing the type of column "tier" \(text to integer\) is not supported/,
  );
});

test('dropColumn: destructive, in contract (the local wave after every remote one); down adds the column back', async (t) => {
  const to = fleetYaml({ columns: ['    resident:', '      - { name: full_name, type: text }'].join('\n') });
  const ctx = await opContext(base, to);
  const op = dropColumn(ctx, ctx.to.entities[0]!, 'mirrored', ctx.from.entities[0]!.mirrored[0]!);
  t.deepEqual(op.destroys, ['drop mirrored column "tier" of shared.identity and its values']);
  const parts = op.render();
  t.deepEqual(
    parts.map((p) => p.target.file),
    ['contract'],
  );
  t.is(sql(parts, 'up'), 'ALTER TABLE "shared"."identity" DROP COLUMN "tier";');
  t.regex(sql(parts, 'down'), /ADD COLUMN "tier" text;/);
});
