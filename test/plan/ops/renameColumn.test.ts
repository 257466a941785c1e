import test from 'ava';
import { evolveShape, initialShape } from '../../../src/plan/apiShape.js';
import { assembleStep } from '../../../src/plan/assembleStep.js';
import { renameColumn, renamesOf } from '../../../src/plan/ops/renameColumn.js';
import { config, fleetYaml, opContext, sql } from './opContext.js';

const base = fleetYaml();
const renamed = (mirrored: string, resident = '      - { name: full_name, type: text }') =>
  fleetYaml({ columns: ['    resident:', resident, '    mirrored:', mirrored].join('\n') });

test('renamesOf: a column renamed_from one of the previous state; left in regions.yaml after its step, nothing', (t) => {
  const before = config(base).entities[0]!;
  const after = config(renamed('      - { name: level, type: text, renamed_from: tier }')).entities[0]!;
  t.deepEqual(
    [...renamesOf(before, after)].map(([to, r]) => [to, r.from.name, r.list]),
    [['level', 'tier', 'mirrored']],
  );
  t.is(renamesOf(after, after).size, 0);
});

test('renameColumn: a mirrored column is renamed on the table and the row type, in the functions file of the remote wave; down renames back', async (t) => {
  const to = renamed('      - { name: level, type: text, renamed_from: tier }');
  const ctx = await opContext(base, to);
  const entity = ctx.to.entities[0]!;
  const op = renameColumn(ctx, entity, 'mirrored', ctx.from.entities[0]!.mirrored[0]!, entity.mirrored[0]!, ctx.from.entities[0]!);
  t.is(op.wave, 'remote');
  t.deepEqual(op.destroys, [], 'non-destructive: the values stay');
  t.deepEqual(op.validate(), []);
  const parts = op.render();
  t.deepEqual(
    parts.map((p) => [p.target.file === 'own' ? p.target.slug : p.target.file, p.rank]),
    [['functions_identity', 0]],
    'between the old functions (rank -1) and the new ones (rank 1)',
  );
  t.regex(
    sql(parts, 'up'),
    /ALTER TABLE "shared"\."identity" RENAME COLUMN "tier" TO "level";\nALTER TYPE "shared"\."identity_row" RENAME ATTRIBUTE "tier" TO "level";/,
  );
  t.regex(
    sql(parts, 'down'),
    /ALTER TYPE "shared"\."identity_row" RENAME ATTRIBUTE "level" TO "tier";\nALTER TABLE "shared"\."identity" RENAME COLUMN "level" TO "tier";/,
  );
});

test('renameColumn: a resident column is renamed on the details table; the foreign partitions read the old name until contract', async (t) => {
  const to = renamed('      - { name: tier, type: text }', '      - { name: display_name, type: text, renamed_from: full_name }');
  const ctx = await opContext(base, to);
  const entity = ctx.to.entities[0]!;
  const parts = renameColumn(
    ctx,
    entity,
    'resident',
    ctx.from.entities[0]!.resident[0]!,
    entity.resident[0]!,
    ctx.from.entities[0]!,
  ).render();
  t.deepEqual(
    parts.map((p) => p.target.file),
    ['own', 'contract'],
  );
  const up = sql([parts[0]!], 'up');
  t.regex(up, /ALTER TABLE "shared"\."identity_details" RENAME COLUMN "full_name" TO "display_name";/);
  t.regex(up, /ALTER FOREIGN TABLE "gbr"\."identity_details" ALTER COLUMN "display_name" OPTIONS \(ADD column_name 'full_name'\);/);
  t.regex(
    sql([parts[1]!], 'up'),
    /ALTER FOREIGN TABLE "aus"\."identity_details" ALTER COLUMN "display_name" OPTIONS \(DROP column_name\);/,
  );
});

test('renameColumn: an old name the previous state did not have, a type change, or another change with it is refused', async (t) => {
  const ctx = await opContext(base, base);
  const before = ctx.from.entities[0]!;
  const check = (mirrored: string) => {
    const entity = config(renamed(mirrored)).entities[0]!;
    const from = before.mirrored.find((c) => c.name === entity.mirrored[0]!.renamedFrom) ?? {
      ...entity.mirrored[0]!,
      name: entity.mirrored[0]!.renamedFrom!,
    };
    return renameColumn(ctx, entity, 'mirrored', from, entity.mirrored[0]!, before).validate();
  };
  t.regex(
    check('      - { name: level, type: text, renamed_from: rank }')[0]!,
    /renamed_from "rank", which shared\.identity did not have in the previous step/,
  );
  t.regex(
    check('      - { name: level, type: integer, renamed_from: tier }')[0]!,
    /of type text, but has type integer; rename in one step, change the type/,
  );
  t.regex(check('      - { name: level, type: text, default: "\'x\'", renamed_from: tier }')[0]!, /changes its default or not_null too/);
});

test('the API after a rename: upsert keeps the parameter name and writes the new column; the row type attribute takes the new name', (t) => {
  const before = config(base).entities[0]!;
  const after = config(renamed('      - { name: level, type: text, renamed_from: tier }')).entities[0]!;
  const shape = evolveShape(initialShape(before), after, new Map([['level', 'tier']]));
  t.deepEqual(
    shape.params.find((p) => p.name === 'tier'),
    { name: 'tier', type: after.mirrored[0]!.type, optional: false, retired: false, column: 'level' },
  );
  t.deepEqual(shape.arities, initialShape(before).arities, 'no overload added');
  t.true(shape.row.some((a) => a.name === 'level') && !shape.row.some((a) => a.name === 'tier'));
  t.throws(
    () => evolveShape(shape, config(renamed('      - { name: level, type: text }\n      - { name: tier, type: text }')).entities[0]!),
    {
      message: /column "tier" was renamed to "level" by an earlier step/,
    },
  );
});

test('regions.yaml: renamed_from may not name the column itself, a column that stays, or rename the key', (t) => {
  t.throws(() => config(renamed('      - { name: tier, type: text, renamed_from: tier }')), { message: /"tier" is the column's own name/ });
  t.throws(() => config(renamed('      - { name: tier, type: text }\n      - { name: level, type: text, renamed_from: tier }')), {
    message: /"tier" is still a column of this entity/,
  });
  t.throws(() => config(base.replace('key: { name: uuid, type: uuid }', 'key: { name: uuid, type: uuid, renamed_from: id }')), {
    message: /the key cannot be renamed/,
  });
});

test('gen-migrations: a rename appends the functions file (and contract for a resident column); renamed_from left in regions.yaml appends nothing more; a bad one is refused naming the region', async (t) => {
  const { genMigrations } = await import('../../../src/render/genMigrations.js');
  const { shippedTemplates } = await import('../../helpers/fixtures.js');
  const files = new Map<string, string>();
  const fs = {
    read: (p: string) => Promise.resolve(files.get(p)),
    write: (p: string, c: string) => Promise.resolve(void files.set(p, c)),
    list: (d: string) =>
      Promise.resolve(
        [...files.keys()]
          .filter((p) => p.startsWith(`${d}/`) && !p.slice(d.length + 1).includes('/'))
          .map((p) => p.slice(d.length + 1))
          .sort(),
      ),
    remove: (p: string) => Promise.resolve(void files.delete(p)),
  };
  const run = async (yaml: string, name: string) =>
    genMigrations({ config: config(yaml), templates: await shippedTemplates(), outDir: 'g', check: false, force: false, name, fs });
  await run(base, 'initial');
  const to = renamed(
    '      - { name: level, type: text, renamed_from: tier }',
    '      - { name: display_name, type: text, renamed_from: full_name }',
  );
  const step = await run(to, 'rename');
  t.deepEqual(
    step.find((r) => r.region === 'usa')!.files.filter((f) => f.endsWith('.sql')),
    // the runtime file first: apply takes the old name for the new one while the step rolls out
    ['usa/0011_rename_runtime.sql', 'usa/0012_rename_functions_identity.sql', 'usa/0013_rename_contract.sql'],
  );
  const state = JSON.parse(files.get('g/usa/state.json')!) as { shapes: Record<string, { params: { name: string; column?: string }[] }> };
  t.deepEqual(
    state.shapes['shared.identity']!.params.filter((p) => p.column !== undefined).map((p) => [p.name, p.column]),
    [
      ['full_name', 'display_name'],
      ['tier', 'level'],
    ],
  );
  t.regex(files.get('g/usa/0012_rename_functions_identity.sql')!, /-- {3}rename mirrored column "tier" of shared\.identity to "level"/);
  t.true(files.get('g/usa/manifest.json')!.includes('"0013_rename_contract.sql": []'));
  t.deepEqual(
    (await run(to, 'again')).map((r) => r.status),
    ['unchanged', 'unchanged', 'unchanged'],
  );
  const resident = '      - { name: display_name, type: text }';
  await t.throwsAsync(
    run(renamed('      - { name: level, type: text }\n      - { name: rank, type: text, renamed_from: grade }', resident), 'bad'),
    {
      message:
        /region "usa": shared\.identity: column "rank" is renamed_from "grade", which shared\.identity did not have in the previous step/,
    },
  );
  // the old name stays a parameter of upsert_identity: a new column cannot take it
  await t.throwsAsync(run(renamed('      - { name: level, type: text }\n      - { name: tier, type: text }', resident), 'reuse'), {
    message: /column "tier" was renamed to "level" by an earlier step/,
  });
});

test('renameColumn: its functions file rolls out to every region in one run (together, recorded in state.json for renameWaits); the contract file does not', async (t) => {
  const to = renamed(
    '      - { name: level, type: text, renamed_from: tier }',
    '      - { name: label, type: text, renamed_from: full_name }',
  );
  const ctx = await opContext(base, to);
  const entity = ctx.to.entities[0]!;
  const from = ctx.from.entities[0]!;
  const ops = [
    renameColumn(ctx, entity, 'mirrored', from.mirrored[0]!, entity.mirrored[0]!, from),
    renameColumn(ctx, entity, 'resident', from.resident[0]!, entity.resident[0]!, from),
  ];
  t.deepEqual(
    assembleStep(ops).map((f) => [f.slug, f.together]),
    [
      ['functions_identity', true],
      ['contract', false],
    ],
  );
});
