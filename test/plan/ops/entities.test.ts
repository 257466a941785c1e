import test from 'ava';
import { addEntity } from '../../../src/plan/ops/addEntity.js';
import { dropEntity } from '../../../src/plan/ops/dropEntity.js';
import { opContext, sql } from './opContext.js';

const ONE = `    resident:\n      - { name: full_name, type: text }\n    mirrored:\n      - { name: tier, type: text }`;
const TWO = `${ONE}\n  - name: account\n    schema: billing\n    key: { name: id, type: bigint }\n    resident:\n      - { name: iban, type: text }`;
const { fleetYaml } = await import('./opContext.js');

test('addEntity: tables, types and apply function in expand (recorded as created); foreign tables in a remote file of their own', async (t) => {
  const ctx = await opContext(fleetYaml({ columns: ONE }), fleetYaml({ columns: TWO }));
  const op = addEntity(ctx, ctx.to.entities[1]!);
  t.is(op.wave, 'local');
  t.deepEqual(op.validate(), []);
  const parts = op.render();
  t.deepEqual(
    parts.map((p) => (p.target.file === 'own' ? `${p.target.slug} rank ${p.target.rank}` : p.target.file)),
    ['expand', 'foreign_account rank 1'],
  );
  t.deepEqual(
    parts[0]!.creates!.map((c) => c.id),
    ['apply billing.account'],
  );
  t.regex(sql([parts[0]!], 'up'), /CREATE TABLE "billing"\."account"/);
  t.regex(sql([parts[1]!], 'up'), /CREATE FOREIGN TABLE "gbr"\."account_details"[\s\S]*CREATE FOREIGN TABLE "aus"\."account_details"/);
});

test('dropEntity: destructive; functions dropped first (their own file, locked), foreign tables in contract_remote, tables last in contract', async (t) => {
  const ctx = await opContext(fleetYaml({ columns: TWO }), fleetYaml({ columns: ONE }), 'usa', {
    code: { 'functions billing.account': { file: '0011_functions_account.sql', sha256: 'x' } },
    readFile: () =>
      '-- Up Migration\n-- pg-residency-begin: functions billing.account\nCREATE FUNCTION old();\n-- pg-residency-end: functions billing.account\n-- Down Migration\n',
  });
  const op = dropEntity(ctx, ctx.from.entities[1]!);
  t.deepEqual(op.destroys, ['drop entity billing.account and every row of it in this region']);
  const parts = op.render();
  t.deepEqual(
    parts.map((p) => (p.target.file === 'own' ? `${p.target.slug} ${p.target.lock} rank ${p.target.rank}` : p.target.file)),
    ['drop_functions_account listed rank 0', 'contract_remote', 'contract'],
  );
  t.is(parts[0]!.blocks[0]!.down, 'CREATE FUNCTION old();', 'down restores the functions as recorded');
  t.regex(sql([parts[2]!], 'up'), /DROP TABLE/);
  // the app group keeps USAGE on the schema, which another entity may share
  t.notRegex(sql(parts, 'up'), /REVOKE USAGE ON SCHEMA/);
});
