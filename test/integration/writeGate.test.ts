import test from 'ava';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { MIXED, startFleet, type Fleet } from '../helpers/fleet.js';
import { until } from '../helpers/poll.js';
import { bindWriteGate } from '../../src/migrate/writeGate.js';
import { doctorFleet } from '../../src/doctor/doctorFleet.js';

// Issue 20: a region's gate admits at most its pooler's writes_in_flight
// writes coordinated there at once (residency.gate, at the start of tx_open);
// the others wait in the lock manager and go on as soon as a slot frees, or
// fail with RS013 at lock_timeout and 57014 at statement_timeout, nothing
// written. A slot is held to the end of the caller's transaction (or of the
// block that retries the call), so a cancelled or failed write frees it.

const REGIONS = ['usa', 'gbr', 'aus'] as const;
const SLOTS = 2;
let fleet: Fleet;
test.before(async () => {
  fleet = await startFleet({
    regions: MIXED,
    pooler: { poolSize: 2, writesInFlight: SLOTS },
    extra: 'timeouts: { lock_timeout: 3s, statement_timeout: 30s }',
  });
});
test.after.always(async () => {
  await fleet?.stop();
});

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => ({ code: 'none', message: '' }),
    (error: { code?: string; message: string }) => ({ code: error.code ?? '', message: error.message }),
  );

/** The write slots of a region's gate held now (granted advisory locks on the gate's keys), by backend. */
async function slotsHeld(region = 'usa'): Promise<{ pid: number; slot: number }[]> {
  return fleet.query<{ pid: number; slot: number }>(
    region,
    `SELECT pid, objid::text::int AS slot FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1
       AND classid::text::bigint = (hashtext('pg-residency write slot')::bigint & 4294967295) ORDER BY slot`,
  );
}

/** Parts prepared under gids of a region's writes, in each region (but those of the backend `except`, by pid). */
async function preparedFromUsa(coordinator = 'usa', except?: number): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const r of REGIONS) {
    const [row] = await fleet.query<{ n: number }>(
      r,
      'SELECT count(*)::int AS n FROM pg_prepared_xacts WHERE gid LIKE $1 AND gid NOT LIKE $2',
      [`pg-residency:${coordinator}:%`, except === undefined ? '' : `%:${except.toString(16).padStart(8, '0')}________________`],
    );
    out[r] = row!.n;
  }
  return out;
}

/** A region's backends waiting at the gate (an advisory lock, in a write call). */
async function waiting(region = 'usa'): Promise<number> {
  const [row] = await fleet.query<{ n: number }>(
    region,
    "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND wait_event = 'advisory' AND query ~ 'upsert_identity'",
  );
  return row!.n;
}

/** Where a key's directory row is, region by region. */
async function stored(key: string): Promise<string[]> {
  const found: string[] = [];
  for (const r of REGIONS) {
    const rows = await fleet.query(r, 'SELECT 1 FROM shared.identity WHERE uuid = $1', [key]);
    if (rows.length > 0) found.push(r);
  }
  return found;
}

const upsert = (client: pg.Client, key: string) => client.query("SELECT shared.upsert_identity($1, 'gate', 'usa', 'gate')", [key]);

/** `SLOTS` writes from a region paused before their decision (each holding a slot); returns their keys and calls. */
async function holdEverySlot(region = 'usa'): Promise<{ keys: string[]; calls: Promise<{ code: string; message: string }>[] }> {
  const clients = await Promise.all(Array.from({ length: SLOTS }, () => fleet.client(region)));
  const keys = clients.map(() => randomUUID());
  const calls = clients.map(async (c, i) => {
    await c.query("SET residency.test_pause = 'before_decision'");
    await c.query("SET residency.test_pause_seconds = '3600'");
    return failure(upsert(c, keys[i]!));
  });
  const other = region === 'gbr' ? 'aus' : 'gbr';
  await until(
    `${SLOTS} writes of ${region} paused with their parts prepared`,
    async () => (await preparedFromUsa(region))[other] === SLOTS,
  );
  return { keys, calls };
}

test.serial('migrate binds each region gate from its pooler: writes_in_flight', async (t) => {
  for (const r of REGIONS) {
    const rows = await fleet.query<{ region: string; slots: number }>(r, 'SELECT region, slots::int AS slots FROM residency.write_gate');
    t.deepEqual(rows, [{ region: r, slots: SLOTS }], r);
  }
});

test.serial('writes beyond the bound wait at the gate, then succeed; the bound holds all along', async (t) => {
  const { keys, calls } = await holdEverySlot();
  const paused = await fleet.query<{ pid: number }>(
    'usa',
    "SELECT pid FROM pg_stat_activity WHERE query ~ 'upsert_identity' AND wait_event = 'PgSleep' ORDER BY pid",
  );
  t.is(paused.length, SLOTS);
  let most = { slots: 0, prepared: 0 };
  let watching = true;
  // the cancelled write's parts are rolled back in its cleanup, bounded at 2 s per step: on a loaded
  // machine a region may answer its ROLLBACK PREPARED after the slot is free (or leave it to resolve),
  // so from the cancel on they are not counted as a write in flight
  let cancelled: number | undefined = undefined;
  const watch = (async () => {
    while (watching) {
      const held = (await slotsHeld()).length;
      const prepared = Math.max(...Object.values(await preparedFromUsa('usa', cancelled)));
      most = { slots: Math.max(most.slots, held), prepared: Math.max(most.prepared, prepared) };
    }
  })();
  const extra = await Promise.all(Array.from({ length: 3 }, () => fleet.client('usa')));
  const extraKeys = extra.map(() => randomUUID());
  const extraCalls = extra.map((c, i) => failure(upsert(c, extraKeys[i]!)));
  await until('3 writes of usa waiting at its gate', async () => (await waiting()) === 3);
  t.deepEqual((await slotsHeld()).map((s) => s.pid).sort(), paused.map((p) => p.pid).sort(), 'the paused writes hold the slots');
  // one paused write cancelled: its slot frees, and the waiters go through it one after another
  cancelled = paused[0]!.pid;
  await fleet.query('usa', 'SELECT pg_cancel_backend($1)', [paused[0]!.pid]);
  const results = await Promise.all(extraCalls);
  t.deepEqual(
    results.map((r) => r.code),
    ['none', 'none', 'none'],
  );
  t.is((await calls[0]!).code, '57014');
  await fleet.query('usa', 'SELECT pg_cancel_backend($1)', [paused[1]!.pid]);
  t.is((await calls[1]!).code, '57014');
  watching = false;
  await watch;
  t.true(most.slots <= SLOTS, `at most ${SLOTS} slots held: ${most.slots}`);
  t.true(most.prepared <= SLOTS, `at most ${SLOTS} parts of usa's writes prepared in a region: ${most.prepared}`);
  for (const key of extraKeys) t.deepEqual(await stored(key), [...REGIONS], `${key} everywhere`);
  for (const key of keys) t.deepEqual(await stored(key), [], `${key} cancelled: nowhere`);
  t.deepEqual(await slotsHeld(), []);
  t.deepEqual(await preparedFromUsa(), { usa: 0, gbr: 0, aus: 0 });
});

/** The paused writes' backends in a region, to cancel them. */
async function pausedPids(region = 'usa'): Promise<number[]> {
  const rows = await fleet.query<{ pid: number }>(
    region,
    "SELECT pid FROM pg_stat_activity WHERE query ~ 'upsert_identity' AND wait_event = 'PgSleep' ORDER BY pid",
  );
  return rows.map((r) => r.pid);
}

async function releaseEverySlot(calls: Promise<{ code: string }>[], region = 'usa'): Promise<void> {
  for (const pid of await pausedPids(region)) await fleet.query(region, 'SELECT pg_cancel_backend($1)', [pid]);
  await Promise.all(calls);
  await until(`every slot of ${region} free`, async () => (await slotsHeld(region)).length === 0);
}

for (const region of ['gbr', 'aus'] as const)
  test.serial(
    `the gate holds in ${region} too (PostgreSQL ${region === 'gbr' ? 11 : 18}): a write beyond it waits, then succeeds`,
    async (t) => {
      const { keys, calls } = await holdEverySlot(region);
      const client = await fleet.client(region);
      const key = randomUUID();
      const call = failure(upsert(client, key));
      await until(`a write of ${region} waiting at its gate`, async () => (await waiting(region)) === 1);
      t.is((await slotsHeld(region)).length, SLOTS);
      t.is(Math.max(...Object.values(await preparedFromUsa(region))), SLOTS);
      const [first] = await pausedPids(region);
      await fleet.query(region, 'SELECT pg_cancel_backend($1)', [first]);
      t.is((await call).code, 'none');
      t.deepEqual(await stored(key), [...REGIONS]);
      await releaseEverySlot(calls, region);
      for (const k of keys) t.deepEqual(await stored(k), [], `${k} cancelled: nowhere`);
    },
  );

test.serial(
  'a write that waits out lock_timeout at the gate fails with RS013 naming the region and the setting; nothing written',
  async (t) => {
    const { calls } = await holdEverySlot();
    try {
      const client = await fleet.client('usa');
      const key = randomUUID();
      const started = Date.now();
      const result = await failure(upsert(client, key));
      t.is(result.code, 'RS013');
      t.regex(
        result.message,
        /^region "usa" is full: its 2 writes in flight stayed taken for lock_timeout \(3s\); nothing was written: retry, and raise writes_in_flight under its pooler in regions\.yaml/,
      );
      t.true(Date.now() - started >= 2900, 'it waited lock_timeout');
      t.deepEqual(await stored(key), []);
      t.deepEqual(await preparedFromUsa(), { usa: SLOTS, gbr: SLOTS, aus: SLOTS }, 'only the paused writes hold parts');
    } finally {
      await releaseEverySlot(calls);
    }
  },
);

test.serial('a write cancelled by statement_timeout at the gate fails with 57014 naming the region; nothing written', async (t) => {
  const { calls } = await holdEverySlot();
  try {
    const client = await fleet.client('usa');
    await client.query("SET statement_timeout = '700ms'");
    const key = randomUUID();
    const result = await failure(upsert(client, key));
    t.is(result.code, '57014');
    t.regex(
      result.message,
      /^region "usa": cancelled \(statement_timeout, or a cancel\) while this write waited for one of the 2 writes in flight/,
    );
    t.deepEqual(await stored(key), []);
    // its lock_timeout is the function's again: the gate's own (shorter) waits did not leak
    const [row] = (await client.query<{ v: string }>("SELECT current_setting('lock_timeout') AS v")).rows;
    t.is(row!.v, '0');
  } finally {
    await releaseEverySlot(calls);
  }
});

test.serial('a failed write frees its slot, in autocommit and in the block that retries it', async (t) => {
  const client = await fleet.client('usa');
  const key = randomUUID();
  await upsert(client, key);
  // RS003 (the key belongs to usa), raised after tx_open took a slot
  const moved = client.query("SELECT shared.upsert_identity($1, 'gate', 'gbr', 'gate')", [key]);
  t.is((await failure(moved)).code, 'RS003');
  t.deepEqual(await slotsHeld(), []);
  await client.query('BEGIN');
  await client.query('SAVEPOINT s');
  t.is((await failure(client.query("SELECT shared.upsert_identity($1, 'gate', 'gbr', 'gate')", [key]))).code, 'RS003');
  await client.query('ROLLBACK TO SAVEPOINT s');
  t.deepEqual(await slotsHeld(), [], 'a savepoint rolled back frees the slot taken in it');
  await client.query('COMMIT');
});

test.serial('a transaction that calls many writes holds one slot until it ends', async (t) => {
  const client = await fleet.client('usa');
  const [me] = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows;
  await client.query('BEGIN');
  for (let i = 0; i < 3; i += 1) await upsert(client, randomUUID());
  const held = await slotsHeld();
  t.deepEqual(
    held.map((h) => h.pid),
    [me!.pid],
    'one slot, held by the caller',
  );
  await client.query('COMMIT');
  t.deepEqual(await slotsHeld(), []);
});

test.serial('migrate rebinds the gate when writes_in_flight changes, and a region without a pooler has none', async (t) => {
  const usa = fleet.config.regions.find((r) => r.name === 'usa')!;
  const client = await fleet.client('usa');
  const gate = async () => (await client.query<{ slots: number }>('SELECT slots::int AS slots FROM residency.write_gate')).rows;
  try {
    const gateFindings = async () =>
      (await doctorFleet(fleet.config, fleet.env)).regions.map((r) => [r.region, r.findings.filter((f) => f.id === 'write-gate').length]);
    t.deepEqual(await gateFindings(), [
      ['usa', 0],
      ['gbr', 0],
      ['aus', 0],
    ]);
    await bindWriteGate(client, { ...usa, pooler: { ...usa.pooler!, writesInFlight: 3 } });
    t.deepEqual(await gate(), [{ slots: 3 }]);
    // doctor reads the bound and finds it is not regions.yaml's
    t.deepEqual(await gateFindings(), [
      ['usa', 1],
      ['gbr', 0],
      ['aus', 0],
    ]);
    await bindWriteGate(client, { ...usa, pooler: undefined });
    t.deepEqual(await gate(), []);
    // ungated: a write in a transaction takes no slot
    await client.query('BEGIN');
    await upsert(client, randomUUID());
    t.deepEqual(await slotsHeld(), []);
    await client.query('COMMIT');
  } finally {
    await bindWriteGate(client, usa);
  }
  t.deepEqual(await gate(), [{ slots: SLOTS }]);
});
