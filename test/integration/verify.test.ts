import test, { type ExecutionContext } from 'ava';
import { randomUUID } from 'node:crypto';
import { repairFleet } from '../../src/verify/repairFleet.js';
import { verifyFleet, type VerifyReport } from '../../src/verify/verifyFleet.js';
import { MIXED, startFleet, type Fleet } from '../helpers/fleet.js';
import { reloadConf } from '../helpers/poll.js';

// The residency audit on a real mixed fleet (10 routing, 11 and 18 native):
// each break is made on purpose, and verify must name it by rule id; repair
// fixes the row cases; a clean fleet verifies clean, so every rule can fail
// both ways.
let fleet: Fleet;
test.before(async () => {
  fleet = await startFleet({ regions: MIXED, unsafeFast: true, extra: 'app_roles: [rsd_app]', migrate: false });
  // an app role as an operator should set it up: a failing call's text is not logged (RV306)
  for (const r of ['usa', 'gbr', 'aus'])
    await fleet.query(r, 'CREATE ROLE rsd_app; ALTER ROLE rsd_app SET log_min_error_statement = panic');
  const failed = (await fleet.migrate({})).find((r) => r.error)?.error;
  if (failed) throw failed;
});
test.after.always(async () => {
  await fleet?.stop();
});

const verify = () => verifyFleet(fleet.config, fleet.env, { dir: fleet.dir });
const rules = (report: VerifyReport) => report.findings.map((f) => `${f.rule} ${f.region} ${f.object}`);
const upsert = (region: string, key: string, name: string, owner: string) =>
  fleet.query(region, 'SELECT * FROM shared.upsert_identity($1, $2, $3, $4)', [key, name, owner, 'note']);

test.serial('a clean fleet verifies clean, with every link timed', async (t) => {
  for (let i = 0; i < 6; i++) await upsert('usa', randomUUID(), `Person ${i}`, ['usa', 'gbr', 'aus'][i % 3]!);
  const report = await verify();
  t.deepEqual(rules(report), []);
  t.true(report.ok);
  t.deepEqual(
    report.regions.map((r) => [r.region, r.directoryRows, r.personalRows, r.links.map((l) => `${l.to}:${l.ok}`).join()]),
    [
      ['usa', 6, 2, 'gbr:true,aus:true'],
      ['gbr', 6, 2, 'usa:true,aus:true'],
      ['aus', 6, 2, 'usa:true,gbr:true'],
    ],
  );
});

async function reconfigure(region: string, sql: string): Promise<void> {
  await fleet.query(region, sql);
  await reloadConf(fleet, region);
}

/** Runs a break, expects verify to name exactly these findings, then runs the undo and expects clean again. */
async function expectBreak(
  t: ExecutionContext,
  doBreak: () => Promise<unknown>,
  expected: readonly string[],
  undo: () => Promise<unknown>,
): Promise<void> {
  await doBreak();
  const report = await verify();
  t.deepEqual(rules(report), expected);
  t.false(report.ok);
  await undo();
  t.deepEqual(rules(await verify()), [], 'clean again after the undo');
}

test.serial('RV203: a column added by hand to a leaf', async (t) => {
  // PostgreSQL refuses ADD COLUMN on a partition: added by hand, it lands on the parent and so on every leaf
  await expectBreak(
    t,
    () => fleet.query('usa', 'ALTER TABLE shared.identity_details ADD COLUMN ssn text'),
    [
      'RV203 usa shared.identity_details',
      'RV203 usa usa.identity_details',
      'RV203 usa gbr.identity_details',
      'RV203 usa aus.identity_details',
    ],
    () => fleet.query('usa', 'ALTER TABLE shared.identity_details DROP COLUMN ssn'),
  );
});

test.serial('RV206: a foreign partition re-pointed at the parent', async (t) => {
  await expectBreak(
    t,
    () => fleet.query('aus', "ALTER FOREIGN TABLE gbr.identity_details OPTIONS (SET schema_name 'shared')"),
    // the probe of aus's link to gbr goes through that partition, and fails too
    ['RV206 aus gbr.identity_details', 'RV401 aus server gbr'],
    () => fleet.query('aus', "ALTER FOREIGN TABLE gbr.identity_details OPTIONS (SET schema_name 'gbr')"),
  );
});

test.serial('RV301: ANALYZE with statistics re-enabled on a foreign partition', async (t) => {
  await expectBreak(
    t,
    () => fleet.query('gbr', 'ALTER FOREIGN TABLE usa.identity_details ALTER COLUMN name SET STATISTICS -1; ANALYZE usa.identity_details'),
    ['RV301 gbr usa.identity_details'],
    () =>
      fleet.query(
        'gbr',
        "ALTER FOREIGN TABLE usa.identity_details ALTER COLUMN name SET STATISTICS 0; DELETE FROM pg_statistic WHERE starelid = 'usa.identity_details'::regclass",
      ),
  );
});

test.serial('RV302: a publication of a personal table', async (t) => {
  await expectBreak(
    t,
    () => fleet.query('aus', 'CREATE PUBLICATION leak FOR TABLE aus.identity_details'),
    ['RV302 aus publication leak'],
    () => fleet.query('aus', 'DROP PUBLICATION leak'),
  );
});

test.serial("RV304: log_statement = 'all' on a region", async (t) => {
  await expectBreak(
    t,
    () => reconfigure('gbr', "ALTER SYSTEM SET log_statement = 'all'"),
    ['RV304 gbr log_statement (the server)'],
    () => reconfigure('gbr', 'ALTER SYSTEM RESET log_statement'),
  );
});

test.serial('RV310: SELECT on a leaf granted to the application role', async (t) => {
  await expectBreak(
    t,
    () => fleet.query('usa', 'GRANT SELECT ON usa.identity_details TO rsd_app'),
    ['RV310 usa usa.identity_details'],
    () => fleet.query('usa', 'REVOKE SELECT ON usa.identity_details FROM rsd_app'),
  );
});

test.serial('RV209, RV210: a foreign server to an undeclared host, with a mapping as another role', async (t) => {
  await expectBreak(
    t,
    () =>
      fleet.query(
        'aus',
        "CREATE SERVER elsewhere FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'db.example.net', dbname 'x'); CREATE USER MAPPING FOR PUBLIC SERVER elsewhere OPTIONS (user 'postgres')",
      ),
    ['RV209 aus server elsewhere', 'RV210 aus user mapping for PUBLIC server elsewhere'],
    () => fleet.query('aus', 'DROP SERVER elsewhere CASCADE'),
  );
});

test.serial('RV211: a foreign server with sslmode below verify-full', async (t) => {
  await expectBreak(
    t,
    () => fleet.query('usa', "ALTER SERVER gbr OPTIONS (SET sslmode 'require')"),
    ['RV211 usa server gbr'],
    () => fleet.query('usa', "ALTER SERVER gbr OPTIONS (SET sslmode 'verify-full')"),
  );
});

test.serial('RV108: a part of a two-phase write left prepared (its coordinator never finished it)', async (t) => {
  const gid = `pg-residency:usa:1:${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const gbr = await fleet.client('gbr');
  await gbr.query('BEGIN');
  await gbr.query(`PREPARE TRANSACTION '${gid}'`);
  const report = await verifyFleet(fleet.config, fleet.env, { dir: fleet.dir, preparedOlderThan: '0 seconds' });
  t.deepEqual(rules(report), [`RV108 gbr prepared transaction ${gid}`]);
  t.is(
    report.findings[0]!.fix,
    'run `pg-residency resolve --all` (or `SELECT * FROM residency.resolve()` in the coordinating region named in the gid)',
  );
  t.deepEqual(rules(await verify()), [], 'younger than the default minute: not a finding yet');
  await gbr.query(`ROLLBACK PREPARED '${gid}'`);
  t.deepEqual(rules(await verifyFleet(fleet.config, fleet.env, { dir: fleet.dir, preparedOlderThan: '0 seconds' })), []);
});

test.serial('RV202, RV207: an unexpected table in a managed schema, a function body replaced by hand', async (t) => {
  const [fn] = await fleet.query<{ def: string }>('gbr', "SELECT pg_get_functiondef('shared.get_identity(uuid)'::regprocedure) AS def");
  await expectBreak(
    t,
    () =>
      fleet.query(
        'gbr',
        `CREATE TABLE shared.copy_of_names (name text); ${fn!.def.replace('$function$', '$function$ -- patched').replace(/^CREATE FUNCTION/, 'CREATE OR REPLACE FUNCTION')}`,
      ),
    ['RV202 gbr shared.copy_of_names', 'RV207 gbr function shared.get_identity'],
    () => fleet.query('gbr', `DROP TABLE shared.copy_of_names; ${fn!.def.replace(/^CREATE FUNCTION/, 'CREATE OR REPLACE FUNCTION')}`),
  );
});

test.serial('data cases: verify names each by rule id, repair fixes them, a second repair changes nothing', async (t) => {
  const [a, b, c, d, e] = [randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID()];
  await upsert('usa', a, 'Ann', 'gbr');
  await upsert('usa', b, 'Bob', 'usa');
  await upsert('gbr', c, 'Cat', 'aus');
  await upsert('aus', d, 'Dan', 'usa');
  await upsert('aus', e, 'Eve', 'gbr');
  t.deepEqual(rules(await verify()), []);

  await fleet.query('aus', 'DELETE FROM shared.identity WHERE uuid = $1', [a]); // a directory row deleted in one region
  // a superuser writes a personal row into the wrong region's local leaf
  await fleet.query('gbr', "INSERT INTO gbr.identity_details (uuid, region, name) VALUES ($1, 'gbr', 'Bob copy')", [b]);
  // an interrupted rehome of c from aus to usa: every directory names usa, the row is still in aus only
  await fleet.query('usa', "UPDATE shared.identity SET region = 'usa' WHERE uuid = $1", [c]);
  await fleet.query('gbr', "UPDATE shared.identity SET region = 'usa' WHERE uuid = $1", [c]);
  await fleet.query('aus', "UPDATE shared.identity SET region = 'usa' WHERE uuid = $1", [c]);
  // an interrupted erase of d: the personal row is gone, the directory rows are left
  await fleet.query('usa', 'DELETE FROM usa.identity_details WHERE uuid = $1', [d]);
  // a stale mirror: e's note differs in usa
  await fleet.query('usa', "UPDATE shared.identity SET note = 'stale' WHERE uuid = $1", [e]);

  const report = await verify();
  const byKey = (key: string) => report.findings.filter((f) => f.key === key).map((f) => `${f.rule} ${f.region}`);
  t.deepEqual(byKey(a), ['RV101 aus']);
  t.deepEqual(byKey(b), ['RV104 gbr']);
  t.deepEqual(byKey(c), ['RV106 aus']);
  t.deepEqual(byKey(d), ['RV105 usa']);
  t.deepEqual(byKey(e), ['RV102 usa']);
  t.is(report.findings.length, 5, rules(report).join('\n'));
  t.false(report.ok);
  // keys and hashes only: no finding carries a name
  t.false(JSON.stringify(report).includes('Bob copy'));
  t.false(JSON.stringify(report).includes('Cat'));

  const dry = await repairFleet(fleet.config, fleet.env, { dryRun: true });
  t.true(dry.dryRun);
  t.is(dry.changes.length, 7);
  t.deepEqual(rules(await verify()).length, 5, 'a dry run changes nothing');

  const repaired = await repairFleet(fleet.config, fleet.env);
  t.deepEqual(
    repaired.changes
      .map(
        (ch) =>
          `${ch.key === a ? 'a' : ch.key === b ? 'b' : ch.key === c ? 'c' : ch.key === d ? 'd' : 'e'} ${ch.action} ${ch.from ?? ''}>${ch.region} ${ch.rows}`,
      )
      .sort(),
    [
      'a copy-directory gbr>aus 1',
      'b delete-personal >gbr 1',
      'c move-personal aus>usa 2',
      'd delete-directory >aus 1',
      'd delete-directory >gbr 1',
      'd delete-directory >usa 1',
      'e copy-directory gbr>usa 1',
    ],
  );
  t.true(repaired.ok);
  t.deepEqual(rules(await verify()), []);
  // the rehome was completed into its recorded owner, and the copies are gone
  t.deepEqual(await fleet.query('usa', 'SELECT name, region FROM usa.identity_details WHERE uuid = $1', [c]), [
    { name: 'Cat', region: 'usa' },
  ]);
  t.deepEqual(await fleet.query('aus', 'SELECT name FROM aus.identity_details WHERE uuid = $1', [c]), []);
  t.deepEqual(await fleet.query('gbr', 'SELECT name FROM gbr.identity_details WHERE uuid = $1', [b]), []);
  t.deepEqual(await fleet.query('usa', 'SELECT note FROM shared.identity WHERE uuid = $1', [e]), [{ note: 'note' }]);

  const again = await repairFleet(fleet.config, fleet.env);
  t.deepEqual(again.changes, []);
  t.true(again.ok);
});

test.serial('repair leaves to a person what it cannot decide: a personal row with no directory anywhere', async (t) => {
  const key = randomUUID();
  await fleet.query('aus', "INSERT INTO aus.identity_details (uuid, region, name) VALUES ($1, 'aus', 'Nobody')", [key]);
  t.deepEqual(
    (await verify()).findings.map((f) => `${f.rule} ${f.region} ${f.key === key}`),
    ['RV107 aus true'],
  );
  const report = await repairFleet(fleet.config, fleet.env);
  t.deepEqual(report.changes, []);
  t.false(report.ok);
  t.deepEqual(
    report.unrepaired.map((f) => f.rule),
    ['RV107'],
  );
  await fleet.query('aus', 'DELETE FROM aus.identity_details WHERE uuid = $1', [key]);
  t.deepEqual(rules(await verify()), []);
});
