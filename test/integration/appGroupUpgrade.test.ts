import test from 'ava';
import { randomUUID } from 'node:crypto';
import { cpSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { Config } from '../../src/config/types.js';
import { genMigrations } from '../../src/render/genMigrations.js';
import { loadTemplates } from '../../src/render/loadTemplates.js';
import { nodeGeneratedFs } from '../../src/render/nodeGeneratedFs.js';
import { verifyFleet } from '../../src/verify/verifyFleet.js';
import { MIXED, startFleet, type Fleet } from '../helpers/fleet.js';

// Issue 18 (app_roles line budget): the app roles are members of one group
// role that holds the grants. A fleet whose history was generated before the
// group (test/fixtures/history-pre-group: the version before, app_roles
// [app], each object granted to "app" directly) gets the group by an
// appended step: "app" keeps working throughout and ends with no direct
// grant; a role added later is one GRANT of membership, removed one REVOKE.

const PRE_GROUP = fileURLToPath(new URL('../fixtures/history-pre-group', import.meta.url));
const REGIONS = MIXED.map((r) => r.name);
const PASSWORD = randomUUID();

let fleet: Fleet;
test.before(async () => {
  fleet = await startFleet({ regions: MIXED, extra: 'app_roles: [app]', migrate: false, unsafeFast: true });
  for (const region of REGIONS) {
    await fleet.query(region, `CREATE ROLE app LOGIN PASSWORD '${PASSWORD}'`);
    await fleet.query(region, `CREATE ROLE app_ro LOGIN PASSWORD '${PASSWORD}'`);
  }
  for (const region of REGIONS) {
    rmSync(join(fleet.dir, region), { recursive: true, force: true });
    cpSync(join(PRE_GROUP, region), join(fleet.dir, region), { recursive: true });
  }
  await migrateOk({});
});
test.after.always(async () => {
  await fleet?.stop();
});

async function migrateOk(input: Parameters<Fleet['migrate']>[0]) {
  const failed = (await fleet.migrate(input)).find((r) => r.error);
  if (failed) throw failed.error ?? new Error(`region ${failed.region} failed`);
}

const generate = async (appRoles: readonly string[], name: string) =>
  genMigrations({
    config: { ...fleet.config, appRoles } satisfies Config,
    templates: await loadTemplates(),
    outDir: fleet.dir,
    check: false,
    force: false,
    name,
    fs: nodeGeneratedFs,
  });

/** Runs one query as an app role in a region: its rows, or the SQLSTATE it failed with. */
async function asRole(role: string, region: string, sql: string, params: unknown[] = []): Promise<unknown[] | string> {
  const client = new pg.Client({ host: '127.0.0.1', port: fleet.ports[region], user: role, password: PASSWORD, database: 'residency' });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows;
  } catch (e) {
    return (e as { code: string }).code;
  } finally {
    await client.end();
  }
}

const upsert = 'SELECT (shared.upsert_identity($1::uuid, $2, $3, $4)).created';
const read = 'SELECT name FROM shared.get_identity($1::uuid)';

/** The grants held directly by a role on the generated objects (not through a group). */
async function directGrants(region: string, role: string): Promise<number> {
  const [row] = await fleet.query<{ n: number }>(
    region,
    `SELECT (SELECT count(*) FROM pg_proc p, aclexplode(p.proacl) a WHERE p.pronamespace IN ('shared'::regnamespace, 'residency'::regnamespace) AND a.grantee = $1::regrole)
          + (SELECT count(*) FROM pg_class c, aclexplode(c.relacl) a WHERE c.relnamespace = 'shared'::regnamespace AND a.grantee = $1::regrole)
          + (SELECT count(*) FROM pg_namespace n, aclexplode(n.nspacl) a WHERE a.grantee = $1::regrole) AS n`,
    [role],
  );
  return Number(row!.n);
}

test.serial(
  'a history from before the group gets it by an appended step; the app role keeps working and loses its direct grants',
  async (t) => {
    const key = randomUUID();
    t.deepEqual(await asRole('app', 'usa', upsert, [key, 'Before', 'gbr', 'n']), [{ created: true }]);
    for (const region of REGIONS) t.true((await directGrants(region, 'app')) > 0, `${region}: the old history granted "app" directly`);

    const results = await generate(['app'], 'group');
    // the group is created first (expand) and the direct grants go last
    // (app_group); between them, the step replaces whatever runtime, reads or
    // function templates changed since the fixture's version
    for (const r of results) {
      const files = r.files.filter((f) => f.endsWith('.sql')).map((f) => f.replace(/^\w+\/\d+_group_/, ''));
      t.is(files[0], 'expand.sql', r.region);
      t.is(files.at(-1), 'app_group.sql', r.region);
      t.deepEqual(
        files.slice(1, -1).filter((f) => !/^(runtime|reads|functions_identity)\.sql$/.test(f)),
        [],
        `${r.region}: only replaced code between the two`,
      );
    }
    t.deepEqual(
      (await generate(['app'], 'again')).map((r) => r.status),
      ['unchanged', 'unchanged', 'unchanged'],
      'generating again appends nothing',
    );
    await migrateOk({});
    for (const region of REGIONS) {
      t.is(await directGrants(region, 'app'), 0, `${region}: "app" holds nothing directly`);
      const [member] = await fleet.query<{ m: boolean }>(region, `SELECT pg_has_role('app', 'residency_app', 'MEMBER') AS m`);
      t.true(member!.m, `${region}: "app" is a member of the group`);
      t.deepEqual(await asRole('app', region, read, [key]), [{ name: 'Before' }], `${region}: "app" reads through the group`);
    }
    t.deepEqual(await asRole('app', 'aus', upsert, [randomUUID(), 'After', 'usa', 'n']), [{ created: true }]);
    t.is(await asRole('app_ro', 'usa', read, [key]), '42501', 'a role not in app_roles may not call the API');
    const findings = async () =>
      (await verifyFleet(fleet.config, fleet.env, { dir: fleet.dir })).findings
        .filter((f) => f.rule.startsWith('RV2') || f.rule === 'RV310')
        .map((f) => `${f.rule} ${f.region} ${f.object}`);
    t.deepEqual(await findings(), [], 'verify: the group and its member as the manifest expects');
    await fleet.query('gbr', 'REVOKE residency_app FROM app');
    t.deepEqual(await findings(), ['RV217 gbr role app'], 'verify names the app role that left the group');
    await fleet.query('gbr', 'GRANT residency_app TO app');
  },
);

test.serial('an app role added is one membership GRANT per region; removed, one REVOKE; down reverts each', async (t) => {
  const key = randomUUID();
  await asRole('app', 'gbr', upsert, [key, 'Grant', 'gbr', 'n']);
  const added = await generate(['app', 'app_ro'], 'add_ro');
  for (const r of added) {
    const [file] = r.files.filter((f) => f.endsWith('.sql'));
    const sql = readFileSync(join(fleet.dir, file!), 'utf8');
    t.regex(sql, /^GRANT "residency_app" TO "app_ro";$/m, r.region);
    t.true(sql.trimEnd().split('\n').length <= 20, `${r.region}: ${sql.trimEnd().split('\n').length} lines`);
  }
  await migrateOk({});
  for (const region of REGIONS) t.deepEqual(await asRole('app_ro', region, read, [key]), [{ name: 'Grant' }], region);

  const removed = await generate(['app'], 'drop_ro');
  for (const r of removed)
    t.regex(
      readFileSync(
        join(
          fleet.dir,
          r.files.find((f) => f.endsWith('.sql'))!,
        ),
        'utf8',
      ),
      /^REVOKE "residency_app" FROM "app_ro";$/m,
    );
  await migrateOk({});
  for (const region of REGIONS) t.is(await asRole('app_ro', region, read, [key]), '42501', region);

  await migrateOk({ direction: 'down', steps: 1 });
  t.deepEqual(await asRole('app_ro', 'aus', read, [key]), [{ name: 'Grant' }], 'down of the removal makes it a member again');
  await migrateOk({ direction: 'down', steps: 2 });
  for (const region of REGIONS) {
    t.is(await asRole('app_ro', region, read, [key]), '42501', `${region}: down of the addition`);
    t.true((await directGrants(region, 'app')) > 0, `${region}: down of the group step gives "app" its direct grants back`);
    t.deepEqual(await asRole('app', region, read, [key]), [{ name: 'Grant' }], `${region}: "app" works after down`);
  }
  await migrateOk({});
  t.deepEqual(await asRole('app', 'usa', read, [key]), [{ name: 'Grant' }]);
});
