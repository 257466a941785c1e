import test from 'ava';
import { randomUUID } from 'node:crypto';
import { syncFleet } from '../../src/migrate/syncFleet.js';
import { MIXED, startFleet, type Fleet } from '../helpers/fleet.js';

// A region that is down must not block writes that do not need its personal
// data: their directory rows for it are queued and replayed by sync_identity().
let fleet: Fleet;
test.before(async () => {
  fleet = await startFleet({ regions: MIXED });
});
test.after.always(async () => {
  await fleet?.stop();
});

const directory = async (region: string, key: string) =>
  (await fleet.query(region, 'SELECT region FROM shared.identity WHERE uuid = $1', [key]))[0]?.region ?? null;
const outbox = async (region: string) =>
  (await fleet.query(region, 'SELECT region, uuid FROM shared.identity_outbox ORDER BY region, uuid')).map((r) => `${r.region} ${r.uuid}`);

test.serial('with gbr down: writes for other owners go on, gbr-owned writes fail cleanly, and sync repairs gbr afterwards', async (t) => {
  const usaPerson = randomUUID();
  const gbrPerson = randomUUID();
  const known = randomUUID();
  await fleet.query('usa', "SELECT shared.upsert_identity($1, 'Known', 'aus', 'n')", [known]);
  const gbrKnown = randomUUID();
  await fleet.query('usa', "SELECT shared.upsert_identity($1, 'Gbr Known', 'gbr', 'n')", [gbrKnown]);
  await fleet.stopRegion('gbr');
  try {
    // 0. a read of a gbr person fails with RS011 and libpq's reason (issue 17)
    const read = await fleet.query('aus', 'SELECT name FROM shared.get_identity($1)', [gbrKnown]).then(
      () => undefined,
      (e: { code: string; message: string }) => e,
    );
    t.is(read?.code, 'RS011');
    t.regex(
      read?.message ?? '',
      /^region "gbr" is unreachable and owns identity .*: retry when it is back \(libpq: .*Connection refused.*\)$/,
    );

    // 1. a usa person, written from usa (routing mode, PostgreSQL 10)
    const [created] = await fleet.query('usa', "SELECT * FROM shared.upsert_identity($1, 'Una', 'usa', 'n')", [usaPerson]);
    t.deepEqual(created, { uuid: usaPerson, created: true, owned_here: true });
    t.is(await directory('aus', usaPerson), 'usa');
    t.deepEqual(await outbox('usa'), [`gbr ${usaPerson}`]);

    // 2. a gbr person needs gbr: a clear error, nothing written anywhere
    const error = await fleet.query('aus', "SELECT shared.upsert_identity($1, 'Gail', 'gbr', 'n')", [gbrPerson]).then(
      () => undefined,
      (e: { code: string; message: string }) => e,
    );
    t.is(error?.code, 'RS011');
    // with libpq's own reason (issue 17)
    t.regex(
      error?.message ?? '',
      /^region "gbr" is unreachable and this write needs it \(it owns the personal data\); nothing was written: retry when it is back \(libpq: .*Connection refused.*\)$/,
    );
    t.is(await directory('aus', gbrPerson), null);
    t.is(await directory('usa', gbrPerson), null);
    t.deepEqual(await outbox('aus'), []);

    // 3. reads pruned to live regions still work
    const [found] = await fleet.query('aus', 'SELECT name FROM shared.get_identity($1)', [usaPerson]);
    t.deepEqual(found, { name: 'Una' });
    const [ausRows] = await fleet.query('usa', "SELECT count(*)::int AS n FROM shared.identity_details WHERE region = 'aus'");
    t.is(ausRows?.n, 1);

    // 4. erase while gbr is down: the directory delete for gbr is queued
    t.deepEqual((await fleet.query('usa', 'SELECT shared.erase_identity($1) AS erased', [known]))[0], { erased: true });
    t.deepEqual(await outbox('usa'), [`gbr ${known}`, `gbr ${usaPerson}`].sort());

    // 5. sync while gbr is still down keeps everything queued
    t.deepEqual((await fleet.query('usa', 'SELECT shared.sync_identity() AS n'))[0], { n: '0' });
  } finally {
    await fleet.startRegion('gbr');
  }
  t.is(await directory('gbr', usaPerson), null, 'gbr missed the write while down');
  t.is(await directory('gbr', known), 'aus', 'gbr still has the erased row');
  // what `pg-residency sync --all` runs
  const synced = await syncFleet(fleet.config, [], true, fleet.env);
  t.deepEqual(
    synced.map((r) => [r.region, r.entities]),
    [
      ['usa', [{ entity: 'shared.identity', replayed: 2, pending: 0 }]],
      ['gbr', [{ entity: 'shared.identity', replayed: 0, pending: 0 }]],
      ['aus', [{ entity: 'shared.identity', replayed: 0, pending: 0 }]],
    ],
  );
  t.is(await directory('gbr', usaPerson), 'usa');
  t.is(await directory('gbr', known), null);
  t.deepEqual(await outbox('usa'), []);
});

test.serial('the owner down: its personal data cannot be written or erased, and nothing else changes', async (t) => {
  const key = randomUUID();
  await fleet.query('gbr', "SELECT shared.upsert_identity($1, 'Ada', 'aus', 'n')", [key]);
  await fleet.stopRegion('aus');
  try {
    const erase = await fleet.query('gbr', 'SELECT shared.erase_identity($1)', [key]).then(
      () => undefined,
      (e: { code: string }) => e.code,
    );
    t.is(erase, 'RS011');
    t.is(await directory('gbr', key), 'aus', 'the failed erase rolled back');
    t.is(await directory('usa', key), 'aus');
    const rehome = await fleet.query('usa', "SELECT shared.rehome_identity($1, 'usa')", [key]).then(
      () => undefined,
      (e: { code: string }) => e.code,
    );
    t.is(rehome, 'RS011');
    t.is(await directory('usa', key), 'aus');
  } finally {
    await fleet.startRegion('aus');
  }
  const [row] = await fleet.query('aus', 'SELECT name FROM aus.identity_details WHERE uuid = $1', [key]);
  t.deepEqual(row, { name: 'Ada' });
});
