import test from 'ava';
import { renderRegion } from '../../src/render/renderRegion.js';
import { fixtureConfig, shippedTemplates } from '../helpers/fixtures.js';

test('a template that prints a bare value is refused before it renders, naming where', async (t) => {
  const templates = { ...(await shippedTemplates()), schemas: '-- Up Migration\nCREATE SCHEMA {{region.name}};\n-- Down Migration\n' };
  const error = t.throws(() => renderRegion(fixtureConfig('seed'), 'usa', templates));
  t.is((error as { code?: string }).code, 'TEMPLATE');
  t.is(
    error?.message,
    'templates/schemas.sql.hbs prints values that no quoting helper checked:\n  line 2, column 15: {{region.name}} prints a value without a quoting helper; use {{ident ...}}, {{literal ...}} or another of 14 helpers (src/render/templateSafety.ts)',
  );
});

test('a template that names a missing value fails (strict mode)', async (t) => {
  const templates = { ...(await shippedTemplates()), schemas: '-- Up Migration\nCREATE SCHEMA {{ident region.nmae}};\n' };
  t.throws(() => renderRegion(fixtureConfig('seed'), 'usa', templates), {
    message: 'templates/schemas.sql.hbs failed to render for region "usa": {{ident}} needs a string, got undefined',
  });
});

test('file names are numbered, ordered, and fold hostile names with a hash', async (t) => {
  const templates = await shippedTemplates();
  t.deepEqual(
    renderRegion(fixtureConfig('seed'), 'usa', templates).migrations.map((m) => `${m.name} ${m.phase}`),
    [
      '0001_extensions.sql local',
      '0002_schemas.sql local',
      '0003_registry.sql local',
      '0004_link_role.sql local',
      '0005_two_phase.sql local',
      '0006_entity_identity.sql local',
      '0007_region_gbr.sql remote',
      '0008_region_aus.sql remote',
      '0009_reads.sql remote',
      '0010_functions_identity.sql remote',
    ],
  );
  const hostile = renderRegion(fixtureConfig('hostile'), 'we"ird', templates).migrations.map((m) => m.name);
  t.true(
    hostile.every((n) => /^\d{4}_[a-z0-9_]+\.sql$/.test(n)),
    hostile.join(' '),
  );
  t.is(new Set(hostile).size, hostile.length);
});

test('server options follow the local PostgreSQL version', async (t) => {
  const templates = await shippedTemplates();
  const server = (region: string) =>
    renderRegion(fixtureConfig('fleet4'), region, templates).migrations.find((m) => m.name.includes('_region_'))!.content;
  t.false(server('usa').includes('async_capable'));
  t.regex(server('gbr'), /async_capable 'true',\n {2}batch_size '50',\n {2}keep_connections 'on',\n {2}fetch_size '500'/);
  t.regex(server('aus'), /parallel_commit 'true',\n {2}parallel_abort 'true'/);
  t.false(server('gbr').includes('parallel_commit'));
});

test('no generated file holds a password, and the user mapping has none', async (t) => {
  const templates = await shippedTemplates();
  const config = fixtureConfig('seed');
  for (const region of config.regions) {
    for (const m of renderRegion(config, region.name, templates).migrations) {
      t.notRegex(m.content, /password\s+'|PASSWORD\s+'|password\s*=/i, m.name);
      if (m.name.includes('_region_'))
        t.regex(m.content, /^CREATE USER MAPPING FOR PUBLIC SERVER "\w+" OPTIONS \(user 'residency_link'\);$/m);
    }
  }
});

test('the foreign partition reads the owner leaf, never its parent', async (t) => {
  const templates = await shippedTemplates();
  const m = renderRegion(fixtureConfig('seed'), 'usa', templates).migrations.find((x) => x.name === '0007_region_gbr.sql')!;
  t.true(
    m.content.includes(
      `CREATE FOREIGN TABLE "gbr"."identity_details"\n  PARTITION OF "shared"."identity_details" FOR VALUES IN ('gbr')\n  SERVER "gbr" OPTIONS (schema_name 'gbr', table_name 'identity_details');`,
    ),
  );
});

test("connect_failures opens a region reached by password by its server's name, one reached by certificate through connstr", async (t) => {
  const templates = await shippedTemplates();
  const twoPhase = (config: ReturnType<typeof fixtureConfig>) =>
    renderRegion(config, 'usa', templates).migrations.find((m) => m.name === '0005_two_phase.sql')!.content;
  const seed = fixtureConfig('seed');
  t.true(seed.regions.every((r) => r.fdw.auth === 'password'));
  const byName = twoPhase(seed);
  t.true(byName.includes(`PERFORM residency_dblink.dblink_connect('pg-residency:' || _rsd_r, _rsd_r);`));
  t.false(/dblink_connect\([^;]*"connstr"/.test(byName), 'no connstr on the write path');
  const cert = { ...seed, regions: seed.regions.map((r) => (r.name === 'usa' ? r : { ...r, fdw: { ...r.fdw, auth: 'cert' as const } })) };
  t.true(
    twoPhase(cert).includes(
      `PERFORM residency_dblink.dblink_connect('pg-residency:' || _rsd_r, CASE WHEN _rsd_r IN ('gbr', 'aus')\n        THEN "residency"."connstr"(_rsd_r) ELSE _rsd_r END);`,
    ),
  );
});
