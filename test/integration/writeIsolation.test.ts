import test from 'ava';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import { connectFleet } from '../../src/client/connectFleet.js';
import { resolveFleet } from '../../src/migrate/resolveFleet.js';
import { recordCase } from '../helpers/catalogue.js';
import { MIXED, startFleet, type Fleet } from '../helpers/fleet.js';
import { waitForPause } from '../helpers/pause.js';

// Issue 19, findings 1, 2, 4, 5 and 7: concurrent writes of one key never undo
// an acknowledged write (every write decides on rows read under its keys'
// claim), a cancelled write cleans up at once, write calls refuse a read-only
// transaction, and empty batches write nothing. Wait-die by the write's age
// (issue 20): a write that meets a key held by an older one gives way at once
// (40001); retried once that one is done, it reads what it committed.
const REGIONS = ['usa', 'gbr', 'aus'] as const;
let fleet: Fleet;
test.before(async () => {
  fleet = await startFleet({ regions: MIXED, unsafeFast: true });
});
test.after.always(async () => {
  await fleet?.stop();
});

async function rowsOf(key: string) {
  const out: Record<string, string[]> = {};
  for (const region of REGIONS) {
    const dir = await fleet.query(region, 'SELECT region, note FROM shared.identity WHERE uuid = $1', [key]);
    const leaf = await fleet.query(region, `SELECT name FROM ONLY "${region}".identity_details WHERE uuid = $1`, [key]);
    out[region] = [...dir.map((r) => `dir ${r.region} ${r.note}`), ...leaf.map((r) => `leaf ${r.name}`)];
  }
  return out;
}
const everywhere = (dir: string, owner: string, name: string) =>
  Object.fromEntries(REGIONS.map((r) => [r, r === owner ? [dir, `leaf ${name}`] : [dir]]));
const nowhere = { usa: [], gbr: [], aus: [] };
async function prepared() {
  return Object.fromEntries(
    await Promise.all(
      REGIONS.map(async (r) => [r, (await fleet.query<{ n: number }>(r, 'SELECT count(*)::int AS n FROM pg_prepared_xacts'))[0]!.n]),
    ),
  );
}
const nonePrepared = { usa: 0, gbr: 0, aus: 0 };

interface Outcome {
  code: string;
  message: string;
  rows: pg.QueryResultRow[];
}
async function outcome(p: Promise<pg.QueryResult | pg.QueryResultRow[]>): Promise<Outcome> {
  try {
    const r = await p;
    return { code: 'none', message: '', rows: Array.isArray(r) ? r : r.rows };
  } catch (error) {
    const e = error as { code?: string; message: string };
    return { code: e.code ?? 'none', message: e.message, rows: [] };
  }
}

/** A session of `region` whose next write stops at `point` for `seconds`. */
async function paused(region: string, point: string, seconds: number): Promise<pg.Client> {
  const client = await fleet.client(region);
  await client.query(`SET residency.test_pause = '${point}'; SET residency.test_pause_seconds = '${seconds}'`);
  return client;
}

test.serial('issue 19 finding 1: an erase decided but not yet committed everywhere is not undone by a rehome of the key', async (t) => {
  recordCase(t, 1, 0, 19);
  const key = randomUUID();
  await fleet.query('aus', "SELECT shared.upsert_identity($1, 'Eve', 'aus', 'n1')", [key]);
  const eraser = await paused('aus', 'before_commit_prepared', 2);
  const erase = outcome(eraser.query('SELECT shared.erase_identity($1) AS erased', [key]));
  await waitForPause(fleet, 'aus', 'before_commit_prepared');
  // usa's directory still names aus (its part of the erase is prepared): the rehome, younger, gives
  // way at the key's claim; retried after the erase, it finds no key
  const first = await outcome(fleet.query('usa', "SELECT shared.rehome_identity($1, 'gbr') AS moved", [key]));
  t.is(first.code, '40001', first.message);
  t.deepEqual((await erase).rows, [{ erased: true }]);
  const rehome = await outcome(fleet.query('usa', "SELECT shared.rehome_identity($1, 'gbr') AS moved", [key]));
  t.is(rehome.code, 'RS004', rehome.message);
  t.deepEqual(await rowsOf(key), nowhere);
  t.deepEqual(await prepared(), nonePrepared);
});

test.serial('issue 19 finding 1: rehome then erase of one key, from two regions at once, serialise', async (t) => {
  recordCase(t, 1, 0, 19);
  const key = randomUUID();
  await fleet.query('usa', "SELECT shared.upsert_identity($1, 'Ray', 'usa', 'n1')", [key]);
  const mover = await paused('usa', 'before_commit_prepared', 1);
  const rehome = outcome(mover.query("SELECT shared.rehome_identity($1, 'gbr') AS moved", [key]));
  await waitForPause(fleet, 'usa', 'before_commit_prepared');
  // aus's erase is younger: it gives way at once (40001); retried after the rehome, it erases
  const first = await outcome(fleet.query('aus', 'SELECT shared.erase_identity($1) AS erased', [key]));
  t.true(['40001', 'none'].includes(first.code), first.message);
  t.deepEqual((await rehome).rows, [{ moved: true }]);
  // the first erase may also have waited and erased it after the rehome (code 'none'): then it is the one
  const erase = first.code === 'none' ? first : await outcome(fleet.query('aus', 'SELECT shared.erase_identity($1) AS erased', [key]));
  t.deepEqual(erase.rows, [{ erased: true }], erase.message);
  t.deepEqual(await rowsOf(key), nowhere);
  t.deepEqual(await prepared(), nonePrepared);
});

test.serial('issue 19 finding 2: a rehome does not overwrite a concurrent acknowledged update', async (t) => {
  recordCase(t, 2, 0, 19);
  const key = randomUUID();
  await fleet.query('usa', "SELECT shared.upsert_identity($1, 'name-v1', 'usa', 'note-v1')", [key]);
  const writer = await paused('aus', 'before_commit_prepared', 2);
  const update = outcome(writer.query("SELECT * FROM shared.upsert_identity($1, 'name-v2', 'usa', 'note-v2')", [key]));
  await waitForPause(fleet, 'aus', 'before_commit_prepared');
  // the rehome, younger, gives way at the key's claim; retried, it moves the updated values
  const first = await outcome(fleet.query('usa', "SELECT shared.rehome_identity($1, 'gbr') AS moved", [key]));
  t.is(first.code, '40001', first.message);
  t.deepEqual((await update).rows, [{ uuid: key, created: false, owned_here: false }]);
  const rehome = await outcome(fleet.query('usa', "SELECT shared.rehome_identity($1, 'gbr') AS moved", [key]));
  t.deepEqual(rehome.rows, [{ moved: true }], rehome.message);
  t.deepEqual(await rowsOf(key), everywhere('dir gbr note-v2', 'gbr', 'name-v2'));
  t.deepEqual(await prepared(), nonePrepared);
});

test.serial(
  'issue 19 finding 2: an update does not overwrite a concurrent rehome (the upsert reads the new owner under the claim)',
  async (t) => {
    const key = randomUUID();
    await fleet.query('usa', "SELECT shared.upsert_identity($1, 'name-v1', 'usa', 'note-v1')", [key]);
    const mover = await paused('aus', 'before_commit_prepared', 2);
    const rehome = outcome(mover.query("SELECT shared.rehome_identity($1, 'gbr') AS moved", [key]));
    await waitForPause(fleet, 'aus', 'before_commit_prepared');
    // usa's directory still names usa: the upsert, younger, gives way at the claim; retried, it
    // reads the key's new owner under the claim
    const first = await outcome(fleet.query('usa', "SELECT * FROM shared.upsert_identity($1, 'name-v2', 'usa', 'note-v2')", [key]));
    t.is(first.code, '40001', first.message);
    t.deepEqual((await rehome).rows, [{ moved: true }]);
    const update = await outcome(fleet.query('usa', "SELECT * FROM shared.upsert_identity($1, 'name-v2', 'usa', 'note-v2')", [key]));
    t.is(update.code, 'RS003', update.message);
    t.deepEqual(await rowsOf(key), everywhere('dir gbr note-v1', 'gbr', 'name-v1'));
    t.deepEqual(await prepared(), nonePrepared);
    recordCase(t);
  },
);

/** The coordinator's loopback sessions (the link role's) still inside a transaction. */
async function loopbacksInTransaction(region: string): Promise<number> {
  const [row] = await fleet.query<{ n: number }>(
    region,
    "SELECT count(*)::int AS n FROM pg_stat_activity WHERE state LIKE 'idle in transaction%' AND usename <> current_user",
  );
  return row!.n;
}

for (const [how, setup] of [
  ['pg_cancel_backend', ''],
  ['statement_timeout', "SET statement_timeout = '1s'"],
] as const) {
  test.serial(`issue 19 finding 4: a write cancelled before its decision (${how}) ends every part at once`, async (t) => {
    const key = randomUUID();
    const session = await paused('usa', 'before_decision', 30);
    if (setup !== '') await session.query(setup);
    const [{ pid }] = (await session.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows as [{ pid: number }];
    const started = performance.now();
    const call = outcome(session.query("SELECT * FROM shared.upsert_identity($1, 'Cancelled', 'gbr', 'n')", [key]));
    await waitForPause(fleet, 'usa');
    if (how === 'pg_cancel_backend') await fleet.query('usa', 'SELECT pg_cancel_backend($1)', [pid]);
    const cancelled = await call;
    t.is(cancelled.code, '57014', cancelled.message);
    t.true(performance.now() - started < 5000);
    // at once: nothing prepared, the loopback's transaction over, resolve has nothing pending
    t.deepEqual(await prepared(), nonePrepared);
    t.is(await loopbacksInTransaction('usa'), 0);
    const resolved = await resolveFleet(fleet.config, [], true, fleet.env);
    t.deepEqual(
      resolved.map((r) => r.pending),
      [0, 0, 0],
    );
    t.deepEqual(await rowsOf(key), nowhere);
    // another writer of the key is not held up, and the same session writes again without RS012
    await fleet.query('aus', "SELECT shared.upsert_identity($1, 'Other', 'gbr', 'o')", [key]);
    await session.query('RESET residency.test_pause; RESET statement_timeout');
    const again = await outcome(session.query("SELECT * FROM shared.upsert_identity($1, 'Again', 'gbr', 'a')", [key]));
    t.is(again.code, 'none', again.message);
    t.deepEqual(await rowsOf(key), everywhere('dir gbr a', 'gbr', 'Again'));
    recordCase(t);
  });
}

test.serial(
  'issue 19 finding 4: a write cancelled while a part runs (statement_timeout) ends the loopback at once; resolve rolls back a part that prepared later',
  async (t) => {
    recordCase(t, 4, 0, 19);
    const key = randomUUID();
    await fleet.query('usa', "SELECT shared.upsert_identity($1, 'Before', 'gbr', 'b')", [key]);
    // gbr's part of the next update waits for this row lock
    const holder = await fleet.client('gbr');
    await holder.query('BEGIN');
    await holder.query('SELECT 1 FROM shared.identity WHERE uuid = $1 FOR UPDATE', [key]);
    const session = await fleet.client('usa');
    await session.query("SET statement_timeout = '1s'");
    const started = performance.now();
    const cancelled = await outcome(session.query("SELECT * FROM shared.upsert_identity($1, 'Cancelled', 'gbr', 'c')", [key]));
    t.is(cancelled.code, '57014', cancelled.message);
    t.true(performance.now() - started < 4000, `${Math.round(performance.now() - started)} ms`);
    t.is(await loopbacksInTransaction('usa'), 0);
    t.deepEqual(await prepared(), nonePrepared);
    await holder.query('ROLLBACK');
    // gbr's part (its connection dropped while it waited) ran on once the lock was free
    let held: Record<string, number> = {};
    for (let i = 0; i < 50; i++) {
      held = await prepared();
      const [busy] = await fleet.query('gbr', "SELECT 1 FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%apply_identity%'");
      if (busy === undefined) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    t.true(held.gbr! <= 1);
    const resolved = await resolveFleet(fleet.config, [], true, fleet.env);
    t.deepEqual(
      resolved.map((r) => r.pending),
      [0, 0, 0],
    );
    t.deepEqual(await prepared(), nonePrepared);
    t.deepEqual(await rowsOf(key), everywhere('dir gbr b', 'gbr', 'Before'));
    await session.query('RESET statement_timeout');
    const again = await outcome(session.query("SELECT * FROM shared.upsert_identity($1, 'Again', 'gbr', 'a')", [key]));
    t.is(again.code, 'none', again.message);
    t.deepEqual(await rowsOf(key), everywhere('dir gbr a', 'gbr', 'Again'));
  },
);

test.serial(
  'issue 19 finding 4: a write cancelled after its decision succeeds with a WARNING; resolve finishes it without the session',
  async (t) => {
    recordCase(t, 4, 0, 19);
    const key = randomUUID();
    const session = await paused('usa', 'before_commit_prepared', 30);
    await session.query("SET statement_timeout = '1s'");
    const warnings: string[] = [];
    session.on('notice', (n) => warnings.push(`${n.severity} ${n.code}: ${n.message}`));
    const call = await outcome(session.query("SELECT * FROM shared.upsert_identity($1, 'Decided', 'gbr', 'd')", [key]));
    t.is(call.code, 'none', call.message);
    t.deepEqual(call.rows, [{ uuid: key, created: true, owned_here: false }]);
    t.true(
      warnings.some((w) => /^WARNING 01RS1: cancelled after the decision: the write is committed; pg-residency resolve finishes/.test(w)),
      warnings.join('\n'),
    );
    // every part prepared, the coordinator's too (issue 20)
    t.deepEqual(await prepared(), { usa: 1, gbr: 1, aus: 1 });
    t.is(await loopbacksInTransaction('usa'), 0);
    // the session stays open and idle: resolve does not wait for it
    const resolved = await resolveFleet(fleet.config, [], true, fleet.env);
    t.deepEqual(
      resolved.map((r) => [r.region, r.committed, r.pending]),
      [
        ['usa', 1, 0],
        ['gbr', 1, 0],
        ['aus', 1, 0],
      ],
    );
    t.deepEqual(await rowsOf(key), everywhere('dir gbr d', 'gbr', 'Decided'));
    t.deepEqual(await prepared(), nonePrepared);
  },
);

test.serial('issue 19 finding 5: write calls refuse a read-only transaction before sending anything (25006)', async (t) => {
  recordCase(t, 5, 0, 19);
  const key = randomUUID();
  await fleet.query('usa', "SELECT shared.upsert_identity($1, 'Ro', 'usa', 'n')", [key]);
  const records = async () => fleet.query('usa', 'SELECT count(*)::int AS n FROM residency.commit_records');
  const before = await records();
  const session = await fleet.client('usa');
  for (const call of [
    "SELECT shared.upsert_identity($1, 'Ro 2', 'usa', 'n2')",
    "SELECT * FROM shared.upsert_identity_many(jsonb_build_array(jsonb_build_object('uuid', $1::uuid, 'name', 'Ro 3', 'region', 'usa', 'note', 'n3')))",
    "SELECT shared.rehome_identity($1, 'gbr')",
    'SELECT shared.erase_identity($1)',
  ]) {
    await session.query('BEGIN READ ONLY');
    const refused = await outcome(session.query(call, [key]));
    await session.query('ROLLBACK');
    t.is(refused.code, '25006', `${call}: ${refused.message}`);
    t.regex(refused.message, /a write call cannot run in a read-only transaction/);
  }
  const [conns] = await fleet.query('usa', 'SELECT 1'); // (a fresh session: the refused calls opened no link)
  t.truthy(conns);
  t.deepEqual((await session.query('SELECT residency_dblink.dblink_get_connections() AS c')).rows, [{ c: null }]);
  t.deepEqual(await rowsOf(key), everywhere('dir usa n', 'usa', 'Ro'));
  t.deepEqual(await records(), before, 'no commit record');
  t.deepEqual(await prepared(), nonePrepared);
});

test.serial('issue 19 finding 7: empty batches return no rows and contact no region', async (t) => {
  recordCase(t, 7, 0, 19);
  const session = await fleet.client('aus');
  t.deepEqual((await session.query("SELECT * FROM shared.upsert_identity_many('[]')")).rows, []);
  t.deepEqual((await session.query('SELECT * FROM shared.upsert_identity_rows(ARRAY[]::shared.identity_row[])')).rows, []);
  t.deepEqual((await session.query('SELECT * FROM shared.upsert_identity_rows(NULL)')).rows, []);
  t.deepEqual((await session.query('SELECT residency_dblink.dblink_get_connections() AS c')).rows, [{ c: null }]);
  const client = await connectFleet({ config: fleet.config, env: fleet.env, poolSize: 1 });
  try {
    t.deepEqual(await client.entity('identity').upsertMany([]), []);
  } finally {
    await client.close();
  }
});
