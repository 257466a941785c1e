import test from 'ava';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { resolveFleet } from '../../src/migrate/resolveFleet.js';
import { verifyFleet } from '../../src/verify/verifyFleet.js';
import { recordCase } from '../helpers/catalogue.js';
import { waitForPause } from '../helpers/pause.js';
import { MIXED, startFleet, type Fleet } from '../helpers/fleet.js';

// Issue 17, findings 5 and 6, on a durable mixed fleet (usa 10, gbr 11, aus
// 18) whose application connects as the ordinary role `app`: the link role
// reads the local leaves and executes the apply functions, and cannot write a
// leaf or a directory itself; the test-only pause points do nothing for an
// application role.
let fleet: Fleet;
const APP_PASSWORD = randomUUID();
const REGIONS = ['usa', 'gbr', 'aus'];
test.before(async () => {
  fleet = await startFleet({ regions: MIXED, extra: 'app_roles: [app]', migrate: false });
  for (const region of REGIONS)
    await fleet.query(region, `CREATE ROLE app LOGIN PASSWORD '${APP_PASSWORD}'; ALTER ROLE app SET log_min_error_statement = panic`);
  const error = (await fleet.migrate({})).find((r) => r.error)?.error;
  if (error) throw error;
});
test.after.always(async () => {
  await fleet?.stop();
});

async function connect(region: string, user: string, password: string, tls: boolean): Promise<pg.Client> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port: fleet.ports[region],
    user,
    password,
    database: 'residency',
    // the dev fleet admits the link role over verified TLS only
    ...(tls ? { ssl: { ca: readFileSync(join(fleet.stateDir, '.tls', 'ca.crt'), 'utf8') } } : {}),
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}
const asLink = (region: string) => connect(region, fleet.config.link.role, fleet.env.PG_RESIDENCY_LINK_PASSWORD!, true);
const asApp = (region: string) => connect(region, 'app', APP_PASSWORD, false);
const code = (p: Promise<unknown>) =>
  p.then(
    () => 'allowed',
    (e: { code?: string }) => e.code ?? String(e),
  );
const findings = async () =>
  (await verifyFleet(fleet.config, fleet.env, { dir: fleet.dir })).findings.map((f) => `${f.rule} ${f.region} ${f.object}: ${f.fix}`);

test.serial(
  'issue 17 #5: the link role cannot write a leaf or a directory directly (42501), and reads them, on 10, 11 and 18',
  async (t) => {
    recordCase(t, 5, 0, 17);
    const key = randomUUID();
    const app = await asApp('usa');
    try {
      for (const owner of REGIONS)
        await app.query('SELECT shared.upsert_identity($1, $2, $3, $4)', [randomUUID(), 'Link Probe', owner, 'n']);
      await app.query('SELECT shared.upsert_identity($1, $2, $3, $4)', [key, 'Link Probe', 'usa', 'n']);
    } finally {
      await app.end();
    }
    for (const region of REGIONS) {
      const link = await asLink(region);
      try {
        const leaf = `"${region}".identity_details`;
        t.deepEqual(
          {
            insertLeaf: await code(
              link.query(`INSERT INTO ${leaf} (uuid, region, name) VALUES ($1, $2, 'Forged')`, [randomUUID(), region]),
            ),
            updateLeaf: await code(link.query(`UPDATE ${leaf} SET name = 'Forged'`)),
            deleteLeaf: await code(link.query(`DELETE FROM ${leaf}`)),
            truncateLeaf: await code(link.query(`TRUNCATE ${leaf}`)),
            insertDirectory: await code(link.query(`INSERT INTO shared.identity (uuid, region) VALUES ($1, $2)`, [randomUUID(), region])),
            updateDirectory: await code(link.query(`UPDATE shared.identity SET note = 'forged'`)),
            deleteDirectory: await code(link.query('DELETE FROM shared.identity')),
            readDirectory: await code(link.query('SELECT * FROM shared.identity')),
            readLeaf: await code(link.query(`SELECT count(*) FROM ${leaf}`)),
          },
          {
            insertLeaf: '42501',
            updateLeaf: '42501',
            deleteLeaf: '42501',
            truncateLeaf: '42501',
            insertDirectory: '42501',
            updateDirectory: '42501',
            deleteDirectory: '42501',
            readDirectory: 'allowed',
            readLeaf: 'allowed',
          },
          region,
        );
      } finally {
        await link.end();
      }
    }
    t.deepEqual(await fleet.query('usa', 'SELECT name FROM usa.identity_details WHERE uuid = $1', [key]), [{ name: 'Link Probe' }]);
  },
);

test.serial(
  'issue 17 #5: with those rights every API call works across regions as an app role, and resolve finishes a write',
  async (t) => {
    recordCase(t, 5, 0, 17);
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    const usa = await asApp('usa');
    const aus = await asApp('aus');
    try {
      t.like((await usa.query('SELECT * FROM shared.upsert_identity($1, $2, $3, $4)', [a, 'Ann Remote', 'gbr', 'n'])).rows[0], {
        created: true,
        owned_here: false,
      });
      const many = await usa.query('SELECT * FROM shared.upsert_identity_many($1::jsonb)', [
        JSON.stringify([
          { uuid: b, name: 'Bob Remote', region: 'aus', note: 'n' },
          { uuid: c, name: 'Cat Local', region: 'usa', note: 'n' },
        ]),
      ]);
      t.is(many.rows.length, 2);
      t.deepEqual((await aus.query('SELECT name FROM shared.get_identity($1)', [a])).rows, [{ name: 'Ann Remote' }]);
      t.deepEqual((await usa.query('SELECT region, name FROM shared.identity_details WHERE uuid = $1', [b])).rows, [
        { region: 'aus', name: 'Bob Remote' },
      ]);
      t.deepEqual((await aus.query('SELECT shared.rehome_identity($1, $2) AS moved', [a, 'aus'])).rows, [{ moved: true }]);
      t.deepEqual(await fleet.query('gbr', 'SELECT count(*)::int AS n FROM gbr.identity_details WHERE uuid = $1', [a]), [{ n: 0 }]);
      t.deepEqual(await fleet.query('aus', 'SELECT name FROM aus.identity_details WHERE uuid = $1', [a]), [{ name: 'Ann Remote' }]);
      t.deepEqual((await usa.query('SELECT shared.erase_identity($1) AS erased', [b])).rows, [{ erased: true }]);
      for (const region of REGIONS)
        t.deepEqual(await fleet.query(region, 'SELECT count(*)::int AS n FROM shared.identity WHERE uuid = $1', [b]), [{ n: 0 }], region);
    } finally {
      await usa.end();
      await aus.end();
    }

    // sync: a directory write queued while gbr was down, replayed by the app role
    const d = randomUUID();
    await fleet.stopRegion('gbr');
    const usa2 = await asApp('usa');
    try {
      await usa2.query('SELECT shared.upsert_identity($1, $2, $3, $4)', [d, 'Dan Queued', 'usa', 'n']);
      await fleet.startRegion('gbr');
      t.deepEqual((await usa2.query('SELECT shared.sync_identity() AS n')).rows, [{ n: '1' }]);
    } finally {
      await usa2.end();
    }
    t.deepEqual(await fleet.query('gbr', 'SELECT region FROM shared.identity WHERE uuid = $1', [d]), [{ region: 'usa' }]);

    // resolve: a coordinator killed after its decision leaves parts prepared (by the link role) that resolve commits
    const e = randomUUID();
    const gbr = await fleet.client('gbr');
    await gbr.query("SET residency.test_pause = 'before_commit_prepared'");
    const [{ pid }] = (await gbr.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows as [{ pid: number }];
    const call = gbr.query("SELECT shared.upsert_identity($1, 'Eve Resolved', 'aus', 'n')", [e]).catch(() => undefined);
    // by the state the pause leaves, not the sleep alone: a write also sleeps while it polls for answers
    await waitForPause(fleet, 'gbr', 'before_commit_prepared');
    await fleet.query('gbr', 'SELECT pg_terminate_backend($1)', [pid]);
    await call;
    const resolved = await resolveFleet(fleet.config, [], true, fleet.env);
    t.deepEqual(
      resolved.map((r) => [r.region, r.committed, r.error?.message]),
      [
        ['usa', 1, undefined],
        // the coordinator's own part is prepared too (issue 20)
        ['gbr', 1, undefined],
        ['aus', 1, undefined],
      ],
    );
    t.deepEqual(await fleet.query('aus', 'SELECT name FROM aus.identity_details WHERE uuid = $1', [e]), [{ name: 'Eve Resolved' }]);
    t.deepEqual(await findings(), []);
  },
);

test.serial(
  'issue 17 #6: an app role that sets residency.test_pause gets a WARNING and no pause; a test-hooks session pauses',
  async (t) => {
    recordCase(t, 6, 0, 17);
    const app = await asApp('usa');
    const notices: string[] = [];
    app.on('notice', (n) => notices.push(`${n.severity}: ${n.message}`));
    try {
      await app.query("SET residency.test_pause = 'before_decision'; SET residency.test_pause_seconds = '30'");
      const started = performance.now();
      await app.query('SELECT shared.upsert_identity($1, $2, $3, $4)', [randomUUID(), 'No Pause', 'gbr', 'n']);
      const elapsed = performance.now() - started;
      t.true(elapsed < 5000, `the write took ${Math.round(elapsed)} ms`);
      t.deepEqual(notices, ['WARNING: residency.test_pause ignored: role "app" is not a member of residency_test_hooks (test only)']);
      t.deepEqual(await fleet.query('gbr', 'SELECT count(*)::int AS n FROM pg_prepared_xacts'), [{ n: 0 }]);
    } finally {
      await app.end();
    }
    // control: the suite's superuser sessions (members of every role) still pause
    const su = await fleet.client('usa');
    await su.query("SET residency.test_pause = 'before_decision'; SET residency.test_pause_seconds = '1'");
    const started = performance.now();
    await su.query('SELECT shared.upsert_identity($1, $2, $3, $4)', [randomUUID(), 'Paused', 'gbr', 'n']);
    t.true(performance.now() - started >= 1000);
  },
);

test.serial('verify: RV213 to RV216 read from real servers, each with its fix', async (t) => {
  recordCase(t, 6, 0, 17); // verify saw neither max_prepared_transactions nor dblink's schema and grants
  t.deepEqual(await findings(), []);
  const link = fleet.config.link.role;
  await fleet.query('usa', `GRANT INSERT, UPDATE ON usa.identity_details TO ${link}`);
  await fleet.query('usa', `GRANT DELETE ON shared.identity TO ${link}`);
  await fleet.query('usa', `GRANT UPDATE (name) ON gbr.identity_details TO ${link}`);
  await fleet.query('gbr', `REVOKE EXECUTE ON FUNCTION shared.apply_identity(jsonb) FROM ${link}`);
  await fleet.query('gbr', `GRANT EXECUTE ON FUNCTION shared.get_identity(uuid) TO PUBLIC`);
  await fleet.query('gbr', `GRANT CREATE ON SCHEMA shared TO ${link}`);
  await fleet.query('gbr', `GRANT app TO ${link}`);
  await fleet.query('gbr', 'GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA residency_dblink TO app');
  await fleet.query('aus', 'GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA residency_dblink TO PUBLIC');
  await fleet.query('aus', 'ALTER SYSTEM SET max_prepared_transactions = 0');
  await fleet.stopRegion('aus');
  await fleet.startRegion('aus');
  try {
    t.deepEqual(
      (await findings()).sort(),
      [
        'RV213 usa usa.identity_details: REVOKE INSERT, UPDATE ON "usa"."identity_details" FROM "residency_link"',
        'RV214 usa gbr.identity_details: REVOKE UPDATE ON "gbr"."identity_details" FROM "residency_link"',
        'RV214 usa shared.identity: REVOKE DELETE ON "shared"."identity" FROM "residency_link"',
        'RV214 gbr function shared.apply_identity(jsonb): GRANT EXECUTE ON FUNCTION "shared"."apply_identity"(jsonb) TO "residency_link"',
        'RV214 gbr function shared.get_identity(uuid): REVOKE EXECUTE ON FUNCTION "shared"."get_identity"(uuid) FROM "residency_link"; REVOKE EXECUTE ON FUNCTION "shared"."get_identity"(uuid) FROM PUBLIC',
        'RV214 gbr schema shared: REVOKE CREATE ON SCHEMA "shared" FROM "residency_link"',
        'RV214 gbr role residency_link: REVOKE "app" FROM "residency_link"',
        'RV215 gbr extension dblink: as dblink\'s owner: REVOKE ALL ON ALL FUNCTIONS IN SCHEMA "residency_dblink" FROM "app"',
        'RV215 aus extension dblink: as dblink\'s owner: REVOKE ALL ON ALL FUNCTIONS IN SCHEMA "residency_dblink" FROM PUBLIC',
        'RV216 aus max_prepared_transactions: ALTER SYSTEM SET max_prepared_transactions = 60 (at least the writes in flight at once), then restart the server (it is read at start only)',
      ].sort(),
    );
    // dblink moved out of its schema: the functions no longer find it
    await fleet.query('usa', 'ALTER EXTENSION dblink SET SCHEMA public');
    t.true(
      (await findings()).includes(
        'RV215 usa extension dblink: as dblink\'s owner: CREATE SCHEMA IF NOT EXISTS "residency_dblink"; REVOKE ALL ON SCHEMA "residency_dblink" FROM PUBLIC; ALTER EXTENSION dblink SET SCHEMA "residency_dblink"; REVOKE ALL ON ALL FUNCTIONS IN SCHEMA "residency_dblink" FROM PUBLIC',
      ),
    );
  } finally {
    await fleet.query('usa', 'ALTER EXTENSION dblink SET SCHEMA residency_dblink');
    await fleet.query('aus', 'ALTER SYSTEM RESET max_prepared_transactions');
    await fleet.stopRegion('aus');
    await fleet.startRegion('aus');
  }
  // every fix as printed clears its finding
  for (const f of (await verifyFleet(fleet.config, fleet.env, { dir: fleet.dir })).findings)
    if (!f.fix.startsWith('ALTER SYSTEM')) await fleet.query(f.region, f.fix.replace("as dblink's owner: ", ''));
  t.deepEqual(await findings(), []);
});
