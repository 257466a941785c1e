import test from 'ava';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { logSize } from '../../src/cluster/logTail.js';
import { regionPaths } from '../../src/cluster/regionPaths.js';
import { migrateFleet } from '../../src/migrate/migrateFleet.js';
import { resolveFleet } from '../../src/migrate/resolveFleet.js';
import { MIXED, startFleet, type Fleet } from '../helpers/fleet.js';
import { waitForPause } from '../helpers/pause.js';
import { until } from '../helpers/poll.js';

// Two-phase writes through dblink (issue 9) on the mixed fleet: usa on
// PostgreSQL 10, gbr 11, aus 18. Durable settings: parts are prepared and
// resolved for real.
const REGIONS = ['usa', 'gbr', 'aus'] as const;
const APP_PASSWORD = randomUUID();
let fleet: Fleet;
test.before(async () => {
  fleet = await startFleet({ regions: MIXED, extra: 'app_roles: [app]\ntimeouts: { lock_timeout: 3s }', migrate: false });
  for (const region of REGIONS) await fleet.query(region, `CREATE ROLE app LOGIN PASSWORD '${APP_PASSWORD}'`);
  const error = (await fleet.migrate({})).find((r) => r.error)?.error;
  if (error) throw error;
});
test.after.always(async () => {
  await fleet?.stop();
});

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => ({ code: 'none', message: 'it succeeded' }),
    (e: { code: string; message: string }) => ({ code: e.code, message: e.message }),
  );

/** Every row of the key in each region: directory and local leaf. */
async function rowsOf(key: string) {
  const out: Record<string, string[]> = {};
  for (const region of REGIONS) {
    const dir = await fleet.query(region, 'SELECT region, note FROM shared.identity WHERE uuid = $1', [key]);
    const leaf = await fleet.query(region, `SELECT name FROM ONLY "${region}".identity_details WHERE uuid = $1`, [key]);
    out[region] = [...dir.map((r) => `dir ${r.region} ${r.note}`), ...leaf.map((r) => `leaf ${r.name}`)];
  }
  return out;
}
const everywhere = (rows: string[], owner: string, name: string) =>
  Object.fromEntries(REGIONS.map((r) => [r, r === owner ? [...rows, `leaf ${name}`] : rows]));

async function prepared(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const region of REGIONS) out[region] = (await fleet.query(region, 'SELECT gid FROM pg_prepared_xacts')).length;
  return out;
}
const nonePrepared = { usa: 0, gbr: 0, aus: 0 };

for (const caller of ['usa', 'aus'] as const) {
  test.serial(`from ${caller}: upsert, many, rehome and erase are in every region when they return, nothing left prepared`, async (t) => {
    const key = randomUUID();
    const other = randomUUID();
    await fleet.query(caller, "SELECT shared.upsert_identity($1, 'Ann', 'gbr', 'n1')", [key]);
    t.deepEqual(await rowsOf(key), everywhere(['dir gbr n1'], 'gbr', 'Ann'));
    await fleet.query(caller, 'SELECT * FROM shared.upsert_identity_many($1)', [
      JSON.stringify([
        { uuid: key, region: 'gbr', name: 'Ann 2', note: 'n2' },
        { uuid: other, region: 'usa', name: 'Bob', note: 'b' },
      ]),
    ]);
    t.deepEqual(await rowsOf(key), everywhere(['dir gbr n2'], 'gbr', 'Ann 2'));
    t.deepEqual(await rowsOf(other), everywhere(['dir usa b'], 'usa', 'Bob'));
    t.deepEqual(await fleet.query(caller, 'SELECT shared.rehome_identity($1, $2) AS moved', [key, 'aus']), [{ moved: true }]);
    t.deepEqual(await rowsOf(key), everywhere(['dir aus n2'], 'aus', 'Ann 2'));
    t.deepEqual(await fleet.query(caller, 'SELECT name FROM shared.get_identity($1)', [key]), [{ name: 'Ann 2' }]);
    t.deepEqual(await fleet.query(caller, 'SELECT shared.erase_identity($1) AS erased', [key]), [{ erased: true }]);
    t.deepEqual(await rowsOf(key), { usa: [], gbr: [], aus: [] });
    t.deepEqual(await prepared(), nonePrepared);
    t.deepEqual(await fleet.query(caller, 'SELECT count(*)::int AS n FROM residency.commit_records'), [{ n: 0 }], 'spent records deleted');
  });
}

test.serial(
  'an error in one region mid-write rolls every part back at once: nothing written, nothing prepared, the SQLSTATE names the region',
  async (t) => {
    await fleet.query('aus', "ALTER TABLE shared.identity ADD CONSTRAINT no_boom CHECK (note IS DISTINCT FROM 'boom')");
    try {
      const key = randomUUID();
      t.deepEqual(await failure(fleet.query('usa', "SELECT shared.upsert_identity($1, 'Ann', 'gbr', 'boom')", [key])), {
        code: '23514',
        message: 'region "aus": new row for relation "identity" violates check constraint "no_boom"',
      });
      t.deepEqual(await rowsOf(key), { usa: [], gbr: [], aus: [] });
      t.deepEqual(await prepared(), nonePrepared);
    } finally {
      await fleet.query('aus', 'ALTER TABLE shared.identity DROP CONSTRAINT no_boom');
    }
  },
);

test.serial("a part that fails in the owner does not put its personal values in any region's log", async (t) => {
  await fleet.query('gbr', "ALTER TABLE shared.identity ADD CONSTRAINT no_boom CHECK (note IS DISTINCT FROM 'boom')");
  try {
    const sizes = Object.fromEntries(
      await Promise.all(REGIONS.map(async (r) => [r, await logSize(regionPaths(fleet.stateDir, r, fleet.ports[r]!).logFile)] as const)),
    );
    const marker = `Marker Person ${randomUUID()}`;
    t.is((await failure(fleet.query('aus', "SELECT shared.upsert_identity($1, $2, 'gbr', 'boom')", [randomUUID(), marker]))).code, '23514');
    await new Promise((r) => setTimeout(r, 500));
    for (const region of REGIONS) {
      const text = (await readFile(regionPaths(fleet.stateDir, region, fleet.ports[region]!).logFile))
        .subarray(sizes[region])
        .toString('utf8');
      t.false(text.includes(marker), `${region}: ${text}`);
    }
  } finally {
    await fleet.query('gbr', 'ALTER TABLE shared.identity DROP CONSTRAINT no_boom');
  }
});

test.serial(
  'two writes of one new key at once: the younger gives way with 40001 whatever its region, the older waits and updates it; every region agrees',
  async (t) => {
    // issue 20: wait-die by the write's age, not by region position. gbr's write holds the key,
    // prepared everywhere, until its decision: a younger write gives way at once from either side
    // of gbr in regions.yaml (before, usa, earlier, waited)
    for (const second of ['aus', 'usa'] as const) {
      const key = randomUUID();
      const first = await fleet.client('gbr');
      // (a pause of 3 s: under a loaded machine's polling, 1 s ended before the second write met the
      // claim, which then found the key created and succeeded instead of giving way)
      await first.query("SET residency.test_pause = 'before_decision'; SET residency.test_pause_seconds = '3'");
      const winner = first.query("SELECT * FROM shared.upsert_identity($1, 'From gbr', 'gbr', 'n')", [key]);
      await waitForPause(fleet, 'gbr');
      const started = performance.now();
      const second_ = await failure(fleet.query(second, "SELECT shared.upsert_identity($1, 'Other', 'gbr', 'x')", [key]));
      const took = performance.now() - started;
      t.deepEqual((await winner).rows, [{ uuid: key, created: true, owned_here: true }]);
      t.is(second_.code, '40001', second_.message);
      t.regex(second_.message, /a concurrent write of the same key holds it; retry$/);
      t.true(took < 600, `${second} gave way at once (${Math.round(took)} ms)`);
      t.deepEqual(await rowsOf(key), everywhere(['dir gbr n'], 'gbr', 'From gbr'));
    }
    // the older write waits, even from the last region in regions.yaml: aus takes its age and
    // stops before claiming; gbr (earlier in regions.yaml, younger) then creates the key and holds
    // it until its decision; aus meets gbr's claim, waits for it, then updates the key gbr created
    {
      const key = randomUUID();
      const older = await fleet.client('aus');
      await older.query("SET residency.test_pause = 'before_claim'; SET residency.test_pause_seconds = '1.5'");
      const started = performance.now();
      const olderCall = older.query("SELECT * FROM shared.upsert_identity($1, 'Older', 'gbr', 'older')", [key]);
      await waitForPause(fleet, 'aus', 'before_claim');
      const younger = await fleet.client('gbr');
      await younger.query("SET residency.test_pause = 'before_decision'; SET residency.test_pause_seconds = '1.5'");
      const youngerCall = younger.query("SELECT * FROM shared.upsert_identity($1, 'Younger', 'gbr', 'younger')", [key]);
      await waitForPause(fleet, 'gbr');
      const doneAt = (call: typeof olderCall) => call.then((r) => ({ rows: r.rows, at: performance.now() - started }));
      const [youngerDone, olderDone] = await Promise.all([doneAt(youngerCall), doneAt(olderCall)]);
      t.deepEqual(youngerDone.rows, [{ uuid: key, created: true, owned_here: true }]);
      t.deepEqual(olderDone.rows, [{ uuid: key, created: false, owned_here: false }]);
      // aus returned only after gbr's decision (gbr's call returns right after it)
      t.true(
        olderDone.at >= youngerDone.at,
        `aus waited for gbr's decision (aus ${Math.round(olderDone.at)} ms, gbr ${Math.round(youngerDone.at)} ms)`,
      );
      t.deepEqual(await rowsOf(key), everywhere(['dir gbr older'], 'gbr', 'Older'));
    }
    // and without a pause: at most one creates, every loser says 40001, every region agrees
    for (let i = 0; i < 5; i++) {
      const key = randomUUID();
      const results = await Promise.all(
        REGIONS.map((r) => failure(fleet.query(r, "SELECT shared.upsert_identity($1, $2, 'usa', 'n')", [key, `From ${r}`]))),
      );
      t.true(
        results.every((r) => r.code === 'none' || r.code === '40001'),
        JSON.stringify(results),
      );
      const [dir] = await fleet.query('usa', 'SELECT count(*)::int AS n FROM shared.identity WHERE uuid = $1', [key]);
      const names = await fleet.query('usa', 'SELECT name FROM usa.identity_details WHERE uuid = $1', [key]);
      if (results.some((r) => r.code === 'none')) {
        t.is(dir?.n, 1);
        t.deepEqual(await rowsOf(key), everywhere(['dir usa n'], 'usa', names[0]?.name as string));
      }
    }
    t.deepEqual(await prepared(), nonePrepared);
  },
);

/** Runs a write in `region` that stops at `point`, then kills its backend there. */
async function killedAt(region: string, point: 'before_decision' | 'before_commit_prepared', key: string): Promise<void> {
  const client = await fleet.client(region);
  await client.query(`SET residency.test_pause = '${point}'`);
  const [{ pid }] = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows as [{ pid: number }];
  const call = failure(client.query("SELECT shared.upsert_identity($1, 'Crash', 'aus', 'n')", [key]));
  await waitForPause(fleet, region, point);
  await fleet.query(region, 'SELECT pg_terminate_backend($1)', [pid]);
  await call;
}

test.serial(
  'a coordinator killed after its decision: resolve commits the prepared parts; killed before it: resolve rolls them back',
  async (t) => {
    const committed = randomUUID();
    await killedAt('gbr', 'before_commit_prepared', committed);
    // the coordinator's own part is prepared too (issue 20: the decision is a transaction of its own)
    t.deepEqual(await prepared(), { usa: 1, gbr: 1, aus: 1 });
    // the parts hold their keys: the directory there does not show the row yet
    t.deepEqual((await rowsOf(committed)).usa, []);
    const status = await fleet.migrate({ dryRun: true });
    t.true(status.every((r) => r.error === undefined));
    const resolved = await resolveFleet(fleet.config, [], true, fleet.env);
    t.deepEqual(
      resolved.map((r) => [r.region, r.committed, r.rolledBack, r.pending, r.error?.message]),
      [
        ['usa', 1, 0, 0, undefined],
        ['gbr', 1, 0, 0, undefined],
        ['aus', 1, 0, 0, undefined],
      ],
    );
    t.deepEqual(await rowsOf(committed), everywhere(['dir aus n'], 'aus', 'Crash'));
    t.deepEqual(await prepared(), nonePrepared);
    // the record is spent now: gbr deletes it once no region holds its part (in the run above, or this one)
    const again = await resolveFleet(fleet.config, ['gbr'], false, fleet.env);
    t.is(resolved.reduce((n, r) => n + r.recordsDeleted, 0) + (again[0]?.recordsDeleted ?? 0), 1);
    t.deepEqual(await fleet.query('gbr', 'SELECT count(*)::int AS n FROM residency.commit_records'), [{ n: 0 }]);

    const aborted = randomUUID();
    await killedAt('usa', 'before_decision', aborted);
    // every part prepared, the coordinator's too, and no record: the coordinator's
    // call ended, so its resolver fences the write (its part rolled back under the
    // decision's lock) and the others then read "rollback" from it
    t.deepEqual(await prepared(), { usa: 1, gbr: 1, aus: 1 });
    const rolledBack = await resolveFleet(fleet.config, [], true, fleet.env);
    t.deepEqual(
      rolledBack.map((r) => [r.region, r.committed, r.rolledBack, r.pending]),
      [
        ['usa', 0, 1, 0],
        ['gbr', 0, 1, 0],
        ['aus', 0, 1, 0],
      ],
    );
    t.deepEqual(await rowsOf(aborted), { usa: [], gbr: [], aus: [] });
    t.deepEqual(await prepared(), nonePrepared);
  },
);

/** Advisory locks some session waits for in a region (the write's decision lock, here). */
async function lockWaiters(region: string): Promise<number> {
  const [row] = await fleet.query<{ n: number }>(
    region,
    "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
  );
  return row?.n ?? 0;
}

// Issue 20: a write's decision (a transaction of its own on the loopback) and
// a resolver's fence of the same write meet on the gid's decision lock; each
// order is forced here by holding that lock from a third session while the
// two queue behind it (the lock is granted in the order they asked for it).
for (const first of ['decision', 'fence'] as const) {
  test.serial(
    `a resolver racing a late decision, the ${first} first: ${first === 'decision' ? 'the fence finds the record and keeps the write' : 'the decision finds its part gone and the write is rolled back everywhere (40001)'}`,
    async (t) => {
      const key = randomUUID();
      const client = await fleet.client('usa');
      await client.query("SET residency.test_pause = 'before_decision'");
      await client.query('SET residency.test_pause_seconds = 5');
      const call = failure(client.query("SELECT shared.upsert_identity($1, 'Race', 'gbr', 'n')", [key]));
      const gid = await waitForPause(fleet, 'usa', 'before_decision');
      // the coordinator's own part is prepared beside the others
      t.deepEqual(await fleet.query('usa', 'SELECT gid FROM pg_prepared_xacts'), [{ gid }]);
      const holder = await fleet.client('usa');
      await holder.query("SELECT pg_advisory_lock(residency.gid_key($1, 'decision'))", [gid]);
      const fencer = await fleet.client('usa');
      let fence: Promise<{ rows: { outcome: string }[] }> | undefined;
      if (first === 'fence') {
        fence = fencer.query<{ outcome: string }>('SELECT residency.fence($1) AS outcome', [gid]);
        await until('the fence to wait for the decision lock', async () => (await lockWaiters('usa')) === 1);
      }
      // the pause ends: the decision (on the loopback) waits for the lock
      await until('the decision to wait for its lock', async () => (await lockWaiters('usa')) === (first === 'fence' ? 2 : 1), 10_000);
      if (first === 'decision') {
        fence = fencer.query<{ outcome: string }>('SELECT residency.fence($1) AS outcome', [gid]);
        await until('the fence to queue behind the decision', async () => (await lockWaiters('usa')) === 2);
      }
      await holder.query("SELECT pg_advisory_unlock(residency.gid_key($1, 'decision'))", [gid]);
      const [outcome, result] = await Promise.all([fence!, call]);
      if (first === 'decision') {
        // 'commit' when the fence read the record before the call spent it (every part
        // committed, the record deleted); else the write was finished and nothing was left
        // prepared to roll back: either way the fence waited for the decision and undid nothing
        t.true(['commit', 'rollback'].includes(outcome.rows[0]?.outcome ?? ''), JSON.stringify(outcome.rows));
        t.is(result.code, 'none', result.message);
        t.deepEqual(await rowsOf(key), everywhere(['dir gbr n'], 'gbr', 'Race'));
      } else {
        t.deepEqual(outcome.rows, [{ outcome: 'rollback' }]);
        t.is(result.code, '40001');
        t.regex(result.message, /^region "usa": this write's part here was rolled back before its decision .*nothing was written: retry$/);
        t.deepEqual(await rowsOf(key), { usa: [], gbr: [], aus: [] });
      }
      t.deepEqual(await prepared(), nonePrepared);
      t.deepEqual(await fleet.query('usa', 'SELECT gid FROM residency.commit_records WHERE gid = $1', [gid]), []);
    },
  );
}

test.serial("the resolver leaves a write pending while its coordinating call runs, however long (the call's lock)", async (t) => {
  const key = randomUUID();
  const client = await fleet.client('gbr');
  await client.query("SET residency.test_pause = 'before_decision'");
  await client.query('SET residency.test_pause_seconds = 5');
  const call = failure(client.query("SELECT shared.upsert_identity($1, 'Slow', 'aus', 'n')", [key]));
  const gid = await waitForPause(fleet, 'gbr', 'before_decision');
  t.deepEqual(await fleet.query('gbr', 'SELECT residency.decide($1) AS d', [gid]), [{ d: 'pending' }]);
  const resolved = await resolveFleet(fleet.config, [], true, fleet.env);
  t.deepEqual(
    resolved.map((r) => [r.region, r.committed, r.rolledBack, r.pending]),
    [
      ['usa', 0, 0, 1],
      ['gbr', 0, 0, 1],
      ['aus', 0, 0, 1],
    ],
  );
  t.deepEqual(await call, { code: 'none', message: 'it succeeded' });
  t.deepEqual(await rowsOf(key), everywhere(['dir aus n'], 'aus', 'Slow'));
  t.deepEqual(await prepared(), nonePrepared);
});

test.serial(
  'gids of the runtime before issue 20 (16-digit random part) are still decided by their record and the loopback txid',
  async (t) => {
    const [{ txid }] = (await fleet.query<{ txid: string }>('usa', 'SELECT txid_current()::text AS txid')) as [{ txid: string }];
    const committed = `pg-residency:usa:${txid}:0123456789abcdef`;
    const aborted = `pg-residency:usa:${txid}:fedcba9876543210`;
    await fleet.query('usa', 'INSERT INTO residency.commit_records (gid) VALUES ($1)', [committed]);
    // prepared by the link role, as a part is (through gbr's loopback)
    const part = await fleet.client('gbr');
    await part.query("SELECT residency.connect(ARRAY['gbr'])");
    for (const gid of [committed, aborted])
      await part.query("SELECT residency_dblink.dblink_exec('pg-residency:gbr', 'BEGIN; PREPARE TRANSACTION ' || quote_literal($1))", [
        gid,
      ]);
    t.deepEqual(await fleet.query('usa', 'SELECT residency.decide($1) AS c, residency.decide($2) AS a', [committed, aborted]), [
      { c: 'commit', a: 'rollback' },
    ]);
    const resolved = await resolveFleet(fleet.config, ['gbr'], false, fleet.env);
    t.deepEqual(
      resolved.map((r) => [r.region, r.committed, r.rolledBack, r.pending, r.error?.message]),
      [['gbr', 1, 1, 0, undefined]],
    );
    t.deepEqual(await prepared(), nonePrepared);
    await fleet.query('usa', 'DELETE FROM residency.commit_records WHERE gid = $1', [committed]);
  },
);

test.serial('many write calls in one transaction hold one call lock, not one per write (the shared lock table)', async (t) => {
  const client = await fleet.client('usa');
  await client.query('BEGIN');
  for (let i = 0; i < 20; i++) await client.query("SELECT shared.upsert_identity($1, 'Loop', 'gbr', 'n')", [randomUUID()]);
  const [{ pid }] = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows as [{ pid: number }];
  t.deepEqual(await fleet.query('usa', "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND pid = $1", [pid]), [
    { n: 1 },
  ]);
  await client.query('COMMIT');
  t.deepEqual(await prepared(), nonePrepared);
});

test.serial(
  'a write remembers in its session how long each region took to answer each wave; values set by hand do not break it',
  async (t) => {
    const client = await fleet.client('usa');
    try {
      const write = async (label: string) => {
        const key = randomUUID();
        await client.query("SELECT shared.upsert_identity($1, 'Wave', 'gbr', 'w')", [key]);
        t.deepEqual(await rowsOf(key), everywhere(['dir gbr w'], 'gbr', 'Wave'), label);
      };
      for (let i = 0; i < 3; i++) await write(`write ${i}`);
      const [row] = (await client.query<{ memory: string }>("SELECT current_setting('residency.arrivals') AS memory")).rows;
      const memory = JSON.parse(row!.memory) as Record<string, [number, number]>;
      const keys = Object.keys(memory);
      // each region and wave (its message's first words after BEGIN, and its size's order of magnitude)
      for (const wave of [
        /^usa SELECT txid_current\(\)::t \d$/,
        /^usa SELECT "shared"."apply_i \d$/,
        /^gbr SELECT "shared"."apply_i \d$/,
        /^aus SELECT "shared"."apply_i \d$/,
        /^usa SELECT "residency"."deci \d$/,
        /^usa COMMIT PREPARED 'pg-resi \d$/,
        /^gbr COMMIT PREPARED 'pg-resi \d$/,
        /^aus COMMIT PREPARED 'pg-resi \d$/,
      ])
        t.true(
          keys.some((k) => wave.test(k)),
          `${String(wave)} in ${keys.join(', ')}`,
        );
      for (const [key, [ms, spread]] of Object.entries(memory)) t.true(ms >= 0 && ms < 5000 && spread >= 0, `${key}: ${ms} ${spread}`);
      // every remembered answer replaced by a JSON value (as text: 1e400 is no JavaScript number)
      const everyKey = (value: string) => `{${keys.map((k) => `${JSON.stringify(k)}: ${value}`).join(', ')}}`;
      for (const value of [
        'garbage',
        '[1, 2]',
        everyKey('[1e400, 0]'),
        everyKey('["x", -1]'),
        everyKey('[0.1, 0]'),
        everyKey('[20000, 0]'),
      ]) {
        await client.query("SELECT set_config('residency.arrivals', $1, false), set_config('residency.arrivals_loaded', $1, false)", [
          value,
        ]);
        const start = performance.now();
        await write(value);
        t.true(performance.now() - start < 5000, `${value}: ${performance.now() - start} ms`);
      }
    } finally {
      await client.end();
    }
    t.deepEqual(await prepared(), nonePrepared);
  },
);

test.serial('the application role cannot use a dblink connection a function left open in its session (42501)', async (t) => {
  const key = randomUUID();
  await fleet.query('usa', "SELECT shared.upsert_identity($1, 'Secret', 'gbr', 'n')", [key]);
  const app = new pg.Client({ host: '127.0.0.1', port: fleet.ports.usa, user: 'app', password: APP_PASSWORD, database: 'residency' });
  await app.connect();
  try {
    // opens the session's connection to gbr (and the loopback)
    t.deepEqual((await app.query('SELECT name FROM shared.get_identity($1)', [key])).rows, [{ name: 'Secret' }]);
    for (const sql of [
      `SELECT * FROM residency_dblink.dblink('pg-residency:gbr', 'SELECT name FROM gbr.identity_details') AS t(name text)`,
      'SELECT residency_dblink.dblink_get_connections()',
      `SELECT residency_dblink.dblink_exec('pg-residency:usa', 'SELECT 1')`,
    ])
      t.is((await failure(app.query(sql))).code, '42501', sql);
  } finally {
    await app.end();
  }
});

test.serial('migrate refuses a region whose max_prepared_transactions is 0, naming the setting and the region', async (t) => {
  await fleet.query('aus', 'ALTER SYSTEM SET max_prepared_transactions = 0');
  await fleet.stopRegion('aus');
  await fleet.startRegion('aus');
  try {
    const results = await migrateFleet({
      config: fleet.config,
      regions: [],
      all: true,
      direction: 'up',
      dir: fleet.dir,
      env: fleet.env,
      dryRun: false,
    });
    const aus = results.find((r) => r.region === 'aus');
    t.is(aus?.status, 'failed');
    t.is(
      aus?.error?.message,
      'region "aus": max_prepared_transactions is 0, and pg-residency writes across regions with two-phase commit (PREPARE TRANSACTION). Set max_prepared_transactions in its postgresql.conf (one slot per write the fleet may have in flight at once, this region\'s own included: the sum of the regions\' writes_in_flight, or max_connections for a region without a pooler, docs/guides/sizing.md) and restart the server, then run migrate again',
    );
  } finally {
    await fleet.query('aus', 'ALTER SYSTEM RESET max_prepared_transactions');
    await fleet.stopRegion('aus');
    await fleet.startRegion('aus');
  }
});
