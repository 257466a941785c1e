import test from 'ava';
import { adoptAppGroup } from '../../../src/plan/ops/appGroup.js';
import { grantAppRoles, revokeAppRoles } from '../../../src/plan/ops/appRoles.js';
import { addExtensions, dropExtensions } from '../../../src/plan/ops/extensions.js';
import { changeLinkTimeouts } from '../../../src/plan/ops/linkTimeouts.js';
import { addSchemas, dropSchemas, schemasOf } from '../../../src/plan/ops/schemas.js';
import { unsupported } from '../../../src/plan/ops/unsupported.js';
import { fleetYaml, opContext, sql } from './opContext.js';

test('app roles: one membership GRANT of the app group in expand, one REVOKE in contract, whatever the entities', async (t) => {
  const ctx = await opContext(fleetYaml(), fleetYaml({ appRoles: ['app', 'app_ro'] }));
  const grant = grantAppRoles(ctx, ['app', 'app_ro']).render();
  t.deepEqual(
    grant.map((p) => p.target.file),
    ['expand'],
  );
  t.is(sql(grant, 'up').trim(), 'GRANT "residency_app" TO "app", "app_ro";');
  t.is(sql(grant, 'down').trim(), 'REVOKE "residency_app" FROM "app", "app_ro";');
  const revoke = revokeAppRoles(await opContext(fleetYaml({ appRoles: ['app'] }), fleetYaml()), ['app']).render();
  t.deepEqual(
    revoke.map((p) => p.target.file),
    ['contract'],
  );
  t.is(sql(revoke, 'up').trim(), 'REVOKE "residency_app" FROM "app";');
});

test('a history before the app group: the group created in expand, then a file of its own moves the direct grants to it', async (t) => {
  const base = await opContext(fleetYaml({ appRoles: ['app'] }), fleetYaml({ appRoles: ['app'] }));
  const ctx = { ...base, from: { ...base.from, appGroup: undefined } };
  const parts = adoptAppGroup(ctx, ctx.to.entities).render();
  t.deepEqual(
    parts.map((p) => p.target),
    [{ file: 'expand' }, { file: 'own', slug: 'app_group', rank: 8, lock: 'none' }],
  );
  const created = parts[0]!.blocks.map((b) => b.up).join('\n');
  t.regex(created, /CREATE ROLE "residency_app" NOLOGIN/);
  t.regex(created, /^GRANT "residency_app" TO "app";$/m);
  const moved = parts[1]!.blocks.map((b) => b.up).join('\n');
  t.regex(moved, /GRANT SELECT ON "shared"\."identity", "shared"\."identity_details" TO "residency_app";/);
  t.regex(moved, /"residency"\."resolve"\(\) TO "residency_app";/);
  t.regex(moved, /REVOKE SELECT ON "shared"\."identity", "shared"\."identity_details" FROM "app";/);
  t.regex(moved, /REVOKE EXECUTE ON FUNCTION "residency"\."resolve"\(\) FROM "app";/);
  t.notRegex(moved, /ALTER ROLE/, 'no app role is altered');
});

test('extensions, schemas and timeouts: created in expand, dropped in contract', async (t) => {
  const ctx = await opContext(fleetYaml(), fleetYaml({ extensions: ['postgres_fdw', 'citext'] }));
  t.regex(sql(addExtensions(ctx, ['citext']).render(), 'up'), /CREATE EXTENSION "citext";/);
  t.regex(sql(dropExtensions(ctx, ['citext']).render(), 'up'), /DROP EXTENSION/);
  t.deepEqual(schemasOf(ctx.to), ['shared', 'usa', 'gbr', 'aus']);
  t.regex(
    sql(addSchemas(ctx, ['billing'], ['billing']).render(), 'up'),
    /CREATE SCHEMA IF NOT EXISTS "billing";[\s\S]*GRANT USAGE ON SCHEMA "billing"/,
  );
  t.deepEqual(dropSchemas(ctx, ['billing']).render()[0]!.target, { file: 'contract' });
  t.deepEqual(changeLinkTimeouts(ctx).render()[0]!.target, { file: 'expand' });
});

test('an unsupported change only refuses, naming the way to make it', (t) => {
  const op = unsupported('change_key', 'shared.identity: changing the key is not supported; add a new entity and move the rows');
  t.deepEqual(op.validate(), ['shared.identity: changing the key is not supported; add a new entity and move the rows']);
  t.deepEqual(op.render(), []);
});
