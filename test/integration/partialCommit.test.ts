import test from 'ava';
import { randomUUID } from 'node:crypto';
import { syncFleet } from '../../src/migrate/syncFleet.js';
import { verifyFleet } from '../../src/verify/verifyFleet.js';
import { MIXED, startFleet, type Fleet } from '../helpers/fleet.js';

// PostgreSQL has no two-phase commit for postgres_fdw: a write can commit in
// some regions only. verify must find it; calling the function again (and
// sync) must repair it. The seed's function could do neither.
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

test.serial('a region lost during COMMIT: verify finds what was left, the same call again repairs it', async (t) => {
  // postgres_fdw commits the remote transactions one after another, in an
  // order of its own: kill each remote region in turn, and the one committed
  // second leaves a write committed in one region only, the seed's failure.
  const partial: string[] = [];
  for (const victim of ['aus', 'gbr']) {
    const key = randomUUID();
    const usa = await fleet.client('usa');
    await usa.query('BEGIN');
    await usa.query("SELECT shared.upsert_identity($1, 'Half', 'usa', 'n')", [key]);
    await fleet.stopRegion(victim); // its FDW session dies before the commit reaches it
    const commit = await usa.query('COMMIT').then(
      () => 'committed',
      (e: Error) => e.message,
    );
    await fleet.startRegion(victim);
    t.regex(commit, /server closed the connection unexpectedly/, victim);
    const found = (await rowFindings()).filter((f) => f.key === key);
    if (found.length > 0) {
      const survivor = victim === 'aus' ? 'gbr' : 'aus';
      // only the survivor's directory row committed: no region holds the personal row
      t.deepEqual(
        found.map((f) => `${f.rule} ${f.region}`),
        ['RV105 usa'],
      );
      t.regex(found[0]!.detail, new RegExp(`the directory in "${survivor}" names "usa" as owner, but no region holds the personal row`));
      partial.push(`${survivor} kept it`);
    }
    // the same call again, from the region that lost its row, repairs every region
    t.like((await upsert('usa', key, 'Half', 'usa'))[0], { uuid: key, created: true, owned_here: true });
    t.deepEqual(await problems(), []);
  }
  t.is(partial.length, 1, 'exactly one of the two runs committed in one region only');
});

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

  await upsert('gbr', a, 'Ann', 'gbr'); // finds aus's row missing: queued
  await upsert('usa', b, 'Bob', 'aus'); // aligns the note, writes the personal row again
  await fleet.query('gbr', 'DELETE FROM gbr.identity_details WHERE uuid = $1', [c]);
  const synced = await syncFleet(fleet.config, [], true, fleet.env);
  t.deepEqual(
    synced.map((r) => r.entities[0]?.pending),
    [0, 0, 0],
  );
  t.deepEqual(await problems(), []);
});
