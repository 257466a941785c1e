import test from 'ava';
import { randomUUID } from 'node:crypto';
import { resolveFleet } from '../../src/migrate/resolveFleet.js';
import { syncFleet } from '../../src/migrate/syncFleet.js';
import { verifyFleet } from '../../src/verify/verifyFleet.js';
import { MIXED, startFleet, type Fleet } from '../helpers/fleet.js';
import { untilPaused } from '../helpers/poll.js';

// A write is a two-phase transaction; what a crash can still leave (a part
// prepared but not yet committed, a row written by hand) verify finds, and
// resolve or calling the function again repairs.
let fleet: Fleet;
test.before(async () => {
  fleet = await startFleet({ regions: MIXED });
});
test.after.always(async () => {
  await fleet?.stop();
});

const rowFindings = async () => (await verifyFleet(fleet.config, fleet.env, { dir: fleet.dir })).findings;
const problems = async () => (await rowFindings()).map((f) => `${f.rule} ${f.region} ${f.object}`);
const upsert = (region: string, key: string, name: string, owner: string) =>
  fleet.query(region, 'SELECT * FROM shared.upsert_identity($1, $2, $3, $4)', [key, name, owner, 'note']);

test.serial(
  'a region lost between PREPARE and COMMIT PREPARED: the write is acknowledged with a WARNING, and resolve completes it',
  async (t) => {
    const key = randomUUID();
    const usa = await fleet.client('usa');
    const warnings: string[] = [];
    usa.on('notice', (n) => warnings.push(`${n.severity}: ${n.message}`));
    // test-only pause: after the decision (the loopback committed its record), before COMMIT PREPARED
    await usa.query("SET residency.test_pause = 'before_commit_prepared'; SET residency.test_pause_seconds = '2'");
    const call = usa.query("SELECT * FROM shared.upsert_identity($1, 'Half', 'usa', 'n')", [key]);
    await untilPaused(fleet, 'usa', 'before_commit_prepared');
    await fleet.stopRegion('aus'); // its part stays prepared: a prepared transaction survives a restart
    t.like((await call).rows[0], { uuid: key, created: true, owned_here: true });
    t.true(
      warnings.some((w) => w.startsWith('WARNING: region "aus": the write is committed, but its part there is still prepared')),
      warnings.join('\n'),
    );
    await fleet.startRegion('aus');
    t.deepEqual(await fleet.query('aus', 'SELECT count(*)::int AS n FROM pg_prepared_xacts'), [{ n: 1 }]);
    t.deepEqual(
      (await rowFindings()).filter((f) => f.key === key).map((f) => `${f.rule} ${f.region}`),
      ['RV101 aus'],
    );
    const resolved = await resolveFleet(fleet.config, ['aus'], false, fleet.env);
    t.is(resolved[0]?.committed, 1);
    t.deepEqual(await problems(), []);
    t.deepEqual(await fleet.query('aus', 'SELECT region FROM shared.identity WHERE uuid = $1', [key]), [{ region: 'usa' }]);
  },
);

test.serial('verify names each kind of inconsistency with its fix, and repairs clear them', async (t) => {
  const a = randomUUID();
  const b = randomUUID();
  const c = randomUUID();
  await upsert('usa', a, 'Ann', 'gbr');
  await upsert('usa', b, 'Bob', 'aus');
  await upsert('usa', c, 'Cat', 'usa');
  t.deepEqual(await problems(), []);

  await fleet.query('aus', 'DELETE FROM shared.identity WHERE uuid = $1', [a]); // a mirror write that never committed
  await fleet.query('gbr', "UPDATE shared.identity SET note = 'stale' WHERE uuid = $1", [b]);
  await fleet.query('aus', 'DELETE FROM aus.identity_details WHERE uuid = $1', [b]); // the owner lost its personal row
  await fleet.query('gbr', "INSERT INTO gbr.identity_details (uuid, region, name) VALUES ($1, 'gbr', 'Cat copy')", [c]); // PII outside its owner
  const found = await rowFindings();
  const byKey = (key: string) => found.filter((f) => f.key === key).map((f) => `${f.rule} ${f.region}: ${f.fix}`);
  t.deepEqual(byKey(a), ['RV101 aus: `pg-residency repair` copies the directory row of "gbr" to "aus"']);
  t.deepEqual(byKey(b), [
    'RV105 aus: `pg-residency repair` removes the orphaned directory rows; if the personal data was lost, restore it from a backup of the owner first',
  ]);
  t.deepEqual(byKey(c), ['RV104 gbr: `pg-residency repair` deletes the copy in "gbr" (the owner\'s row is kept)']);

  await upsert('gbr', a, 'Ann', 'gbr'); // aus's part adds its missing row
  await upsert('usa', b, 'Bob', 'aus'); // aligns the note, writes the personal row again
  await fleet.query('gbr', 'DELETE FROM gbr.identity_details WHERE uuid = $1', [c]);
  const synced = await syncFleet(fleet.config, [], true, fleet.env);
  t.deepEqual(
    synced.map((r) => r.entities[0]?.pending),
    [0, 0, 0],
  );
  t.deepEqual(await problems(), []);
});
