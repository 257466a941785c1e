import test from 'ava';
import { grantAppRoles, revokeAppRoles } from '../../../src/plan/ops/appRoles.js';
import { addExtensions, dropExtensions } from '../../../src/plan/ops/extensions.js';
import { changeLinkTimeouts } from '../../../src/plan/ops/linkTimeouts.js';
import { addSchemas, dropSchemas, schemasOf } from '../../../src/plan/ops/schemas.js';
import { unsupported } from '../../../src/plan/ops/unsupported.js';
import { fleetYaml, opContext, sql } from './opContext.js';

test('app roles: USAGE and SELECT granted in expand, revoked in contract', async (t) => {
  const ctx = await opContext(fleetYaml(), fleetYaml({ appRoles: ['app'] }));
  const entity = ctx.to.entities[0]!;
  const grant = grantAppRoles(ctx, entity, ['app'], ctx.from.entities[0]!).render();
  t.deepEqual(
    grant.map((p) => p.target.file),
    ['expand'],
  );
  t.regex(sql(grant, 'up'), /GRANT USAGE ON SCHEMA "shared" TO "app";/);
  // the functions' EXECUTE is granted by a block of its own: no function replaced
  t.regex(sql(grant, 'up'), /GRANT EXECUTE ON FUNCTION "shared"\."upsert_identity_many"\(jsonb\)/);
  const revoke = revokeAppRoles(await opContext(fleetYaml({ appRoles: ['app'] }), fleetYaml()), entity, ['app']).render();
  t.deepEqual(
    revoke.map((p) => p.target.file),
    ['contract'],
  );
  t.regex(sql(revoke, 'up'), /REVOKE USAGE ON SCHEMA "shared" FROM "app";/);
  t.regex(sql(revoke, 'up'), /REVOKE EXECUTE ON FUNCTION "shared"\."upsert_identity_many"\(jsonb\)/);
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
