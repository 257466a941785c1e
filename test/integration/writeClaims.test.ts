import test from 'ava';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { MIXED, startFleet, type Fleet } from '../helpers/fleet.js';
import { waitForPause } from '../helpers/pause.js';

// Issue 20: claims on keys, not buckets, and a full server reported as full.
// Before, keys were hashed into 1,024 claim buckets per entity, and two
// writes of different keys in one bucket aborted or waited on each other.
const REGIONS = ['usa', 'gbr', 'aus'] as const;
let fleet: Fleet;
test.before(async () => {
  fleet = await startFleet({ regions: MIXED, extra: 'timeouts: { lock_timeout: 3s }', unsafeFast: true });
});
test.after.always(async () => {
  await fleet?.stop();
});

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => ({ code: 'none', message: 'it succeeded' }),
    (e: { code: string; message: string }) => ({ code: e.code, message: e.message }),
  );

/** The claim bucket a key of shared.identity fell into before issue 20 (hashtext & 1023). */
async function oldBuckets(keys: readonly string[]): Promise<Map<string, number>> {
  const rows = await fleet.query<{ k: string; b: number }>(
    'gbr',
    "SELECT k, hashtext('shared.identity:' || k) & 1023 AS b FROM unnest($1::text[]) k",
    [keys],
  );
  return new Map(rows.map((r) => [r.k, r.b]));
}

/** Two new keys that share the old claim bucket: found among random keys, so the test is deterministic. */
async function collidingPair(): Promise<[string, string]> {
  const keys = Array.from({ length: 200 }, () => randomUUID());
  const buckets = await oldBuckets(keys);
  const seen = new Map<number, string>();
  for (const key of keys) {
    const bucket = buckets.get(key)!;
    const other = seen.get(bucket);
    if (other !== undefined) return [other, key];
    seen.set(bucket, key);
  }
  throw new Error('no two of 200 random keys share a bucket of 1024 (odds about 1 in 10^8)');
}

async function prepared(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const region of REGIONS) out[region] = (await fleet.query(region, 'SELECT gid FROM pg_prepared_xacts')).length;
  return out;
}

/** Starts a write of `key` in `region` that holds its claims, prepared everywhere, until its decision (`seconds`). */
async function held(region: string, key: string, seconds: number) {
  const client = await fleet.client(region);
  await client.query(`SET residency.test_pause = 'before_decision'; SET residency.test_pause_seconds = '${seconds}'`);
  const call = client.query("SELECT * FROM shared.upsert_identity($1, 'Held', 'gbr', 'held')", [key]);
  await waitForPause(fleet, region);
  // (wrapped: an async function returning the promise itself would wait for it)
  return { call };
}

test.serial('two writes of different keys that share an old claim bucket never abort or wait on each other', async (t) => {
  // both orders, the holder earlier and later in regions.yaml than the second write
  for (const [first, second] of [
    ['gbr', 'aus'],
    ['gbr', 'usa'],
  ] as const) {
    const [a, b] = await collidingPair();
    const { call: holding } = await held(first, a, 2);
    const started = performance.now();
    const other = await failure(fleet.query(second, "SELECT * FROM shared.upsert_identity($1, 'Other', 'gbr', 'other')", [b]));
    const took = performance.now() - started;
    t.is(other.code, 'none', `${second} writing ${b} while ${first} holds ${a}: ${other.message}`);
    t.true(took < 1000, `${second} did not wait for ${first} (${Math.round(took)} ms)`);
    t.deepEqual((await holding).rows, [{ uuid: a, created: true, owned_here: true }]);
    for (const region of REGIONS) {
      const rows = await fleet.query(region, 'SELECT uuid, note FROM shared.identity WHERE uuid = ANY ($1::uuid[]) ORDER BY note', [
        [a, b],
      ]);
      t.deepEqual(
        rows.map((r) => r.note),
        ['held', 'other'],
        region,
      );
    }
  }
  t.deepEqual(await prepared(), { usa: 0, gbr: 0, aus: 0 });
});

test.serial('a write of the same key still gets 40001 with its documented message', async (t) => {
  const key = randomUUID();
  const { call: holding } = await held('gbr', key, 3);
  const started = performance.now();
  const second = await failure(fleet.query('aus', "SELECT shared.upsert_identity($1, 'Other', 'gbr', 'x')", [key]));
  t.deepEqual(second, { code: '40001', message: 'region "aus": shared.identity: a concurrent write of the same key holds it; retry' });
  t.true(performance.now() - started < 600, 'gave way at once');
  t.deepEqual((await holding).rows, [{ uuid: key, created: true, owned_here: true }]);
  const [dir] = await fleet.query('aus', 'SELECT note FROM shared.identity WHERE uuid = $1', [key]);
  t.is(dir?.note, 'held');
});

test.serial(
  'a write that meets a younger write of its key waits for it, even when an older write of another key shares the claim bucket',
  async (t) => {
    // ages: the other key's write (oldest), then `waiter`, then `holder` (youngest) that holds the key first
    const [other, key] = await collidingPair();
    const { call: older } = await held('gbr', other, 8);
    const waiter = await fleet.client('aus');
    // the write takes its age, then pauses before claiming anything
    await waiter.query("SET residency.test_pause = 'before_claim'; SET residency.test_pause_seconds = '3'");
    const started = performance.now();
    const waiting = failure(waiter.query("SELECT shared.upsert_identity($1, 'Waiter', 'gbr', 'waiter')", [key]));
    await waitForPause(fleet, 'aus', 'before_claim');
    const { call: holding } = await held('usa', key, 3);
    t.true(performance.now() - started < 3000, 'the younger write held the key before the waiter claimed it');
    // wait-die by the key's own writes: the holder is younger, so the waiter waits (before, any older
    // write announced in the bucket made it give way: 40001 on a different key's account)
    t.deepEqual(await waiting, { code: 'none', message: 'it succeeded' });
    t.deepEqual((await holding).rows, [{ uuid: key, created: true, owned_here: false }]);
    t.deepEqual((await older).rows, [{ uuid: other, created: true, owned_here: true }]);
    for (const region of REGIONS)
      t.deepEqual(
        await fleet.query(region, 'SELECT note FROM shared.identity WHERE uuid = $1', [key]),
        [{ note: 'waiter' }],
        `${region}: the waiter wrote last`,
      );
    t.deepEqual(await prepared(), { usa: 0, gbr: 0, aus: 0 });
  },
);

test.serial('a batch of more than 256 keys claims buckets: a key in one of them meets it, a key in another does not', async (t) => {
  const batch = Array.from({ length: 300 }, () => randomUUID());
  const buckets = await oldBuckets(batch);
  const taken = new Set(buckets.values());
  const candidates = Array.from({ length: 100 }, () => randomUUID());
  const candidateBuckets = await oldBuckets(candidates);
  const inside = candidates.find((k) => taken.has(candidateBuckets.get(k)!))!;
  const outside = candidates.find((k) => !taken.has(candidateBuckets.get(k)!))!;
  t.truthy(inside);
  t.truthy(outside);
  const client = await fleet.client('gbr');
  await client.query("SET residency.test_pause = 'before_decision'; SET residency.test_pause_seconds = '2'");
  const rows = JSON.stringify(batch.map((uuid) => ({ uuid, region: 'gbr', name: 'Batch', note: 'batch' })));
  const call = client.query('SELECT count(*)::int AS n FROM shared.upsert_identity_many($1)', [rows]);
  await waitForPause(fleet, 'gbr');
  const free = await failure(fleet.query('aus', "SELECT shared.upsert_identity($1, 'Free', 'gbr', 'free')", [outside]));
  t.is(free.code, 'none', free.message);
  const met = await failure(fleet.query('aus', "SELECT shared.upsert_identity($1, 'Met', 'gbr', 'met')", [inside]));
  t.is(met.code, '40001');
  t.is(
    met.message,
    'region "aus": shared.identity: a concurrent write holds a key of the same claim bucket (a batch of more than 256 keys claims buckets); retry',
  );
  t.deepEqual((await call).rows, [{ n: 300 }]);
});

test.serial(
  'a server out of prepared transactions is reported as full (RS013, naming the region and the setting), never unreachable, nothing queued',
  async (t) => {
    await fleet.query('aus', 'ALTER SYSTEM SET max_prepared_transactions = 1');
    await fleet.stopRegion('aus');
    await fleet.startRegion('aus');
    try {
      // migrate warns with each region's own max_connections (doctor assumes them)
      const migrated = await fleet.migrate({});
      t.deepEqual(
        migrated.map((r) => [r.region, r.status, r.warnings.filter((w) => w.includes('max_prepared_transactions'))]),
        [
          ['usa', 'nothing-to-do', []],
          ['gbr', 'nothing-to-do', []],
          [
            'aus',
            'nothing-to-do',
            [
              'region "aus": max_prepared_transactions is 1, but the fleet\'s regions (this one included) may have 180 writes in flight at once (max_connections or writes_in_flight: usa 60, gbr 60, aus 60), each holding a part prepared here: under that load writes fail with RS013 ("full"). Raise it to 180 (a restart setting) or bound each region\'s writes in flight (a pooler\'s writes_in_flight in regions.yaml, docs/guides/sizing.md)',
            ],
          ],
        ],
      );
      // a write of gbr's holds aus's one slot until its decision
      const { call: holding } = await held('gbr', randomUUID(), 5);
      for (const [caller, owner] of [
        ['usa', 'gbr'], // aus holds only the directory row: it used to be queued (or RS011)
        ['usa', 'aus'], // aus owns the personal row
      ] as const) {
        const key = randomUUID();
        const full = await failure(fleet.query(caller, 'SELECT shared.upsert_identity($1, $2, $3, $4)', [key, 'Full', owner, 'full']));
        t.is(full.code, 'RS013', full.message);
        t.regex(
          full.message,
          /^region "aus" is full: maximum number of prepared transactions reached \(Increase "?max_prepared_transactions"? \(currently 1\)\.\); nothing was written: retry, and raise max_prepared_transactions, which must cover every write in flight in the fleet/,
        );
        for (const region of REGIONS) {
          t.deepEqual(
            await fleet.query(region, 'SELECT uuid FROM shared.identity WHERE uuid = $1', [key]),
            [],
            `${region}: nothing written`,
          );
          t.deepEqual(
            await fleet.query(region, 'SELECT uuid FROM shared.identity_outbox WHERE uuid = $1', [key]),
            [],
            `${region}: nothing queued`,
          );
        }
      }
      await holding;
      t.deepEqual(await prepared(), { usa: 0, gbr: 0, aus: 0 });
    } finally {
      await fleet.query('aus', 'ALTER SYSTEM RESET max_prepared_transactions');
      await fleet.stopRegion('aus');
      await fleet.startRegion('aus');
    }
  },
);

test.serial(
  'why a write waits for COMMIT PREPARED: at the moment its decision is durable, a read in another region still sees the old row without waiting',
  async (t) => {
    // issue 20 asked to return once every part is prepared and the decision is durable, sending
    // COMMIT PREPARED without waiting. A write paused right there (before_commit_prepared: the
    // decision committed, every other part prepared) is what a caller would have been told is
    // done; readers in the other regions do not wait on a prepared transaction (MVCC): the
    // directory, the parent and get_ show the old values. So a call keeps its second round trip.
    const key = randomUUID();
    await fleet.query('usa', "SELECT shared.upsert_identity($1, 'Old', 'aus', 'old')", [key]);
    const client = await fleet.client('gbr');
    await client.query("SET residency.test_pause = 'before_commit_prepared'; SET residency.test_pause_seconds = '3'");
    const call = client.query("SELECT shared.upsert_identity($1, 'New', 'aus', 'new')", [key]);
    await waitForPause(fleet, 'gbr', 'before_commit_prepared');
    // the decision is the commit record alone; since issue 20 the coordinator's own part is prepared
    // like the others, so its directory shows the old row until its COMMIT PREPARED too
    t.is((await fleet.query('gbr', 'SELECT gid FROM residency.commit_records')).length, 1, 'the decision');
    const started = performance.now();
    t.deepEqual(await fleet.query('gbr', 'SELECT note FROM shared.identity WHERE uuid = $1', [key]), [{ note: 'old' }], 'gbr directory');
    t.deepEqual(await fleet.query('usa', 'SELECT note FROM shared.identity WHERE uuid = $1', [key]), [{ note: 'old' }], 'usa directory');
    t.deepEqual(
      await fleet.query('usa', 'SELECT name FROM shared.identity_details WHERE uuid = $1', [key]),
      [{ name: 'Old' }],
      'usa parent',
    );
    t.deepEqual(
      await fleet.query('usa', 'SELECT name, note FROM shared.get_identity($1)', [key]),
      [{ name: 'Old', note: 'old' }],
      'usa get_identity',
    );
    t.deepEqual(await fleet.query('aus', 'SELECT name FROM aus.identity_details WHERE uuid = $1', [key]), [{ name: 'Old' }], 'aus leaf');
    t.true(performance.now() - started < 1500, 'no read waited for the prepared parts');
    await call;
    for (const region of REGIONS)
      t.deepEqual(
        await fleet.query(region, 'SELECT name, note FROM shared.get_identity($1)', [key]),
        [{ name: 'New', note: 'new' }],
        `${region} once the call returned`,
      );
  },
);

test.serial(
  'fresh random keys from 3 x 8 sessions at once: no write aborts another (40001 was 1-2% at this load with buckets), every row in its owner and in every directory',
  async (t) => {
    const sessions = await Promise.all(
      REGIONS.flatMap((region) => Array.from({ length: 8 }, async () => [region, await fleet.client(region)] as const)),
    );
    const codes = new Map<string, number>();
    const messages: string[] = [];
    const written: { key: string; owner: string; caller: string }[] = [];
    await Promise.all(
      sessions.map(async ([region, client], i) => {
        for (let n = 0; n < 50; n++) {
          const owner = REGIONS[(i + n) % 3]!;
          const key = randomUUID();
          const code = await client.query('SELECT shared.upsert_identity($1, $2, $3, $4)', [key, 'P', owner, region]).then(
            () => 'ok',
            (e: { code?: string; message?: string }) => {
              messages.push(`${region}: ${e.code}: ${e.message}`);
              return e.code ?? 'unknown';
            },
          );
          codes.set(code, (codes.get(code) ?? 0) + 1);
          if (code === 'ok') written.push({ key, owner, caller: region });
        }
      }),
    );
    t.log(`${written.length} writes: ${JSON.stringify(Object.fromEntries(codes))}`);
    t.deepEqual(Object.fromEntries(codes), { ok: 1200 }, messages.slice(0, 5).join('\n'));
    t.deepEqual(await prepared(), { usa: 0, gbr: 0, aus: 0 });
    // every directory has every row, its owner's region and the caller's note; each owner its personal rows, no other region
    const keys = written.map((w) => w.key);
    const expected = written.map((w) => `${w.key} ${w.owner} ${w.caller}`).sort();
    for (const region of REGIONS) {
      const dir = await fleet.query<{ uuid: string; region: string; note: string }>(
        region,
        'SELECT uuid::text, region, note FROM shared.identity WHERE uuid = ANY ($1::uuid[])',
        [keys],
      );
      t.deepEqual(dir.map((r) => `${r.uuid} ${r.region} ${r.note}`).sort(), expected, `${region}: directory`);
      const personal = await fleet.query<{ uuid: string }>(
        region,
        `SELECT uuid::text FROM ${region}.identity_details WHERE uuid = ANY ($1::uuid[]) AND name = 'P'`,
        [keys],
      );
      t.deepEqual(
        personal.map((r) => r.uuid).sort(),
        written
          .filter((w) => w.owner === region)
          .map((w) => w.key)
          .sort(),
        `${region}: its own personal rows, no other region's`,
      );
      t.deepEqual(
        await fleet.query(region, 'SELECT uuid FROM shared.identity_outbox WHERE uuid = ANY ($1::uuid[])', [keys]),
        [],
        `${region}: nothing queued`,
      );
    }
  },
);

test.serial('a server out of connection slots is reported as full (RS013), not unreachable, and nothing is queued', async (t) => {
  // 2 connection slots beyond the 3 reserved for superusers
  await fleet.query('aus', 'ALTER SYSTEM SET max_connections = 5');
  await fleet.stopRegion('aus');
  await fleet.startRegion('aus');
  try {
    // two sessions of usa write: each keeps its link session in aus, the 2 slots
    for (let i = 0; i < 2; i++) {
      const session = await fleet.client('usa');
      await session.query("SELECT shared.upsert_identity($1, 'P', 'usa', 'n')", [randomUUID()]);
    }
    // gbr's session cannot open its link to aus, which holds no row of this write but its directory row
    const key = randomUUID();
    const full = await failure(fleet.query('gbr', "SELECT shared.upsert_identity($1, 'P', 'gbr', 'n')", [key]));
    t.is(full.code, 'RS013', full.message);
    t.regex(
      full.message,
      /^region "aus" is full: it refused the link connection \(.*(connection slots are reserved|too many clients).*\); nothing was written: retry, and raise max_connections there or bound the links with a pooler/,
    );
    for (const region of ['usa', 'gbr'])
      t.deepEqual(
        await fleet.query(region, 'SELECT uuid FROM shared.identity_outbox WHERE uuid = $1', [key]),
        [],
        `${region}: nothing queued`,
      );
  } finally {
    await fleet.query('aus', 'ALTER SYSTEM RESET max_connections');
    await fleet.stopRegion('aus');
    await fleet.startRegion('aus');
  }
});
