import test from 'ava';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { SEED_UPSERTS, seedSelects } from '../../src/demo/seedWalkthrough.js';
import { MIXED, startFleet, type Fleet } from '../helpers/fleet.js';
import { waitForPause } from '../helpers/pause.js';
import { untilPaused } from '../helpers/poll.js';

// usa runs PostgreSQL 10 (routing mode), gbr 11 and aus 18 (native mode). Every
// assertion reads each region directly.
const REGIONS = ['usa', 'gbr', 'aus'] as const;
let fleet: Fleet;
test.before(async () => {
  fleet = await startFleet({ regions: MIXED, extra: 'timeouts: { lock_timeout: 2s, statement_timeout: 20s }', unsafeFast: true });
});
test.after.always(async () => {
  await fleet?.stop();
});

/** Where a key is, as each region itself stores it. */
async function whereIs(key: string) {
  const out: Record<string, { directory: string | null; leaf: string | null }> = {};
  for (const region of REGIONS) {
    const [dir] = await fleet.query(region, 'SELECT region FROM shared.identity WHERE uuid = $1', [key]);
    const [leaf] = await fleet.query(region, `SELECT name FROM ONLY "${region}".identity_details WHERE uuid = $1`, [key]);
    out[region] = { directory: (dir?.region as string) ?? null, leaf: (leaf?.name as string) ?? null };
  }
  return out;
}

async function sqlError(region: string, sql: string, params: unknown[] = []): Promise<{ code: string; message: string }> {
  try {
    await fleet.query(region, sql, params);
  } catch (error) {
    return { code: (error as { code: string }).code, message: (error as Error).message };
  }
  throw new Error(`expected ${sql} to fail in ${region}`);
}

async function clearAll() {
  for (const region of REGIONS)
    await fleet.query(region, `DELETE FROM "${region}".identity_details; DELETE FROM shared.identity; DELETE FROM shared.identity_outbox`);
}

test.serial("the seed walkthrough gives the seed's results: names only in their own leaf, identity rows everywhere", async (t) => {
  await clearAll();
  for (const sql of seedSelects('usa')) t.deepEqual(await fleet.query('usa', sql), [], sql);
  const [cells] = await fleet.query('usa', SEED_UPSERTS);
  t.is(cells?.dave, '(7139f8aa-7f93-4657-83ad-b7d74a22159f,t,t)');
  t.is(cells?.queen, '(d0c4d726-225c-426d-80d2-7406eb1c9739,t,f)');
  t.regex(String(cells?.rando), /^\([0-9a-f-]{36},t,f\)$/);
  t.is(cells?.dummy, true);
  const expected = { usa: 'David Welch', gbr: 'Da Queen', aus: 'Someone Random' };
  for (const region of REGIONS) {
    const [identity, details, leaf] = await Promise.all(seedSelects(region).map((sql) => fleet.query(region, sql)));
    t.deepEqual(
      identity!.map((r) => `${r.region} ${r.note}`).sort(),
      ['aus This will always make someone new', 'gbr Da queen is a powerhouse, but sort of an acquired taste', 'usa Dave is really nice'],
      region,
    );
    t.deepEqual(details!.map((r) => `${r.region} ${r.name}`).sort(), ['aus Someone Random', 'gbr Da Queen', 'usa David Welch'], region);
    t.deepEqual(
      leaf!.map((r) => r.name),
      [expected[region]],
      `${region} holds only its own person`,
    );
  }
  // the directory rows are identical in every region, created_on included
  const snapshots = await Promise.all(
    REGIONS.map((r) => fleet.query(r, 'SELECT uuid, region, note, created_on::text FROM shared.identity ORDER BY uuid')),
  );
  t.deepEqual(snapshots[1], snapshots[0]);
  t.deepEqual(snapshots[2], snapshots[0]);
});

for (const caller of REGIONS) {
  test.serial(`upsert twice from ${caller}: created then updated, one copy, in the owner only`, async (t) => {
    for (const owner of REGIONS) {
      const key = randomUUID();
      const [first] = await fleet.query(caller, 'SELECT * FROM shared.upsert_identity($1, $2, $3, $4)', [key, 'Ann', owner, 'v1']);
      t.deepEqual(first, { uuid: key, created: true, owned_here: caller === owner });
      const [second] = await fleet.query(caller, 'SELECT * FROM shared.upsert_identity($1, $2, $3, $4)', [key, 'Ann Two', owner, 'v2']);
      t.deepEqual(second, { uuid: key, created: false, owned_here: caller === owner });
      const where = await whereIs(key);
      for (const region of REGIONS) {
        t.deepEqual(where[region], { directory: owner, leaf: region === owner ? 'Ann Two' : null }, `${caller} -> ${owner}: ${region}`);
        const [n] = await fleet.query(
          region,
          'SELECT (SELECT count(*) FROM shared.identity WHERE uuid = $1)::int AS d, (SELECT count(*) FROM shared.identity_details WHERE uuid = $1)::int AS p, (SELECT note FROM shared.identity WHERE uuid = $1) AS note',
          [key],
        );
        t.deepEqual(n, { d: 1, p: 1, note: 'v2' });
      }
    }
  });
}

test.serial('rehome usa to gbr and back, from a native and a routing region; then erase', async (t) => {
  const key = randomUUID();
  await fleet.query('usa', "SELECT shared.upsert_identity($1, 'Mover', 'usa', 'n')", [key]);
  t.deepEqual((await fleet.query('aus', 'SELECT shared.rehome_identity($1, $2) AS moved', [key, 'gbr']))[0], { moved: true });
  t.deepEqual(await whereIs(key), {
    usa: { directory: 'gbr', leaf: null },
    gbr: { directory: 'gbr', leaf: 'Mover' },
    aus: { directory: 'gbr', leaf: null },
  });
  t.deepEqual((await fleet.query('usa', 'SELECT shared.rehome_identity($1, $2) AS moved', [key, 'usa']))[0], { moved: true });
  t.deepEqual(await whereIs(key), {
    usa: { directory: 'usa', leaf: 'Mover' },
    gbr: { directory: 'usa', leaf: null },
    aus: { directory: 'usa', leaf: null },
  });
  t.deepEqual((await fleet.query('gbr', 'SELECT shared.rehome_identity($1, $2) AS moved', [key, 'usa']))[0], { moved: false });
  // upsert with the old region now points at rehome
  const wrong = await sqlError('gbr', "SELECT shared.upsert_identity($1, 'Mover', 'gbr', 'n')", [key]);
  t.deepEqual(wrong, {
    code: 'RS003',
    message: `identity ${key} belongs to region "usa"; to move its personal data call "shared"."rehome_identity"(key, new_region)`,
  });

  t.deepEqual((await fleet.query('gbr', 'SELECT shared.erase_identity($1) AS erased', [key]))[0], { erased: true });
  const nothing = { directory: null, leaf: null };
  t.deepEqual(await whereIs(key), { usa: nothing, gbr: nothing, aus: nothing });
  t.deepEqual((await fleet.query('aus', 'SELECT shared.erase_identity($1) AS erased', [key]))[0], { erased: false });
  const missing = await sqlError('usa', "SELECT shared.rehome_identity($1, 'gbr')", [key]);
  t.deepEqual(missing, { code: 'RS004', message: `identity ${key} not found; nothing to rehome` });
});

test.serial('unknown region, NULL key and NULL region: stable SQLSTATE, the value named, nothing written anywhere', async (t) => {
  const counts = () =>
    Promise.all(
      REGIONS.map(
        async (r) =>
          (
            await fleet.query(
              r,
              'SELECT (SELECT count(*) FROM shared.identity)::int + (SELECT count(*) FROM shared.identity_details)::int AS n',
            )
          )[0]?.n,
      ),
    );
  const before = await counts();
  const key = randomUUID();
  for (const caller of REGIONS) {
    t.deepEqual(await sqlError(caller, "SELECT shared.upsert_identity($1, 'Nobody', 'can', 'n')", [key]), {
      code: 'RS001',
      message: 'unknown region "can"; regions.yaml defines "usa", "gbr", "aus"',
    });
    t.deepEqual(await sqlError(caller, "SELECT shared.upsert_identity(NULL, 'Nobody', 'usa', 'n')"), {
      code: 'RS002',
      message: 'identity: the key uuid must not be NULL',
    });
    t.deepEqual(await sqlError(caller, "SELECT shared.upsert_identity($1, 'Nobody', NULL, 'n')", [key]), {
      code: 'RS002',
      message: `identity ${key}: the region must not be NULL; regions.yaml defines "usa", "gbr", "aus"`,
    });
    t.deepEqual(await sqlError(caller, "SELECT shared.rehome_identity($1, 'can')", [key]), {
      code: 'RS001',
      message: 'unknown region "can"; regions.yaml defines "usa", "gbr", "aus"',
    });
    // one bad row in a batch writes nothing of the batch
    const batch = JSON.stringify([
      { uuid: randomUUID(), region: 'usa', name: 'ok' },
      { uuid: key, region: 'can', name: 'bad' },
    ]);
    t.is((await sqlError(caller, 'SELECT * FROM shared.upsert_identity_many($1)', [batch])).code, 'RS001');
  }
  t.deepEqual(await counts(), before);
});

test.serial('the same new key upserted from two regions at once: one wins, no duplicate, no hang', async (t) => {
  const key = randomUUID();
  const usa = await fleet.client('usa');
  const gbr = await fleet.client('gbr');
  // usa's write holds the key in every region, prepared, for 0.8 s before its decision (test-only pause)
  await usa.query("SET residency.test_pause = 'before_decision'; SET residency.test_pause_seconds = '0.8'");
  const first = usa.query("SELECT shared.upsert_identity($1, 'From usa', 'usa', 'n')", [key]);
  await untilPaused(fleet, 'usa', 'before_decision');
  const started = Date.now();
  const outcome = await gbr.query("SELECT shared.upsert_identity($1, 'From gbr', 'gbr', 'n')", [key]).then(
    () => 'ok',
    (e: { code: string }) => e.code,
  );
  await first;
  t.is(outcome, '40001', 'the loser gets a serialization failure it can retry');
  t.true(Date.now() - started < 2500, `took ${Date.now() - started} ms`);
  const where = await whereIs(key);
  t.deepEqual(where, {
    usa: { directory: 'usa', leaf: 'From usa' },
    gbr: { directory: 'usa', leaf: null },
    aus: { directory: 'usa', leaf: null },
  });
});

test.serial('a writer that never commits cannot hang another region past the lock timeout', async (t) => {
  const key = randomUUID();
  const aus = await fleet.client('aus');
  const usa = await fleet.client('usa');
  // usa's write takes its age first and stops before claiming (test-only pause), so that it is the
  // older of the two and waits (wait-die by age, issue 20); aus's write then holds the key,
  // prepared in every region, and does not decide
  await usa.query("SET residency.test_pause = 'before_claim'; SET residency.test_pause_seconds = '1.5'");
  const started = Date.now();
  const waiter = usa.query("SELECT shared.upsert_identity($1, 'Waiter', 'usa', 'n')", [key]).then(
    () => undefined,
    (e: pg.DatabaseError) => e,
  );
  await waitForPause(fleet, 'usa', 'before_claim');
  await aus.query("SET residency.test_pause = 'before_decision'");
  const [{ pid }] = (await aus.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows as [{ pid: number }];
  const holder = aus.query("SELECT shared.upsert_identity($1, 'Holder', 'aus', 'n')", [key]).then(
    () => 'ok',
    (e: { code: string }) => e.code,
  );
  await untilPaused(fleet, 'aus', 'before_decision');
  const error = await waiter;
  const waited = Date.now() - started - 1500;
  // cancelled before its decision, the holder ends every part it prepared
  await fleet.query('aus', 'SELECT pg_cancel_backend($1)', [pid]);
  t.is(await holder, '57014');
  for (const region of REGIONS) t.deepEqual(await fleet.query(region, 'SELECT gid FROM pg_prepared_xacts'), [], region);
  t.is(error?.code, '55P03', String(error?.message));
  t.regex(String(error?.message), /lock timeout/);
  t.true(waited >= 1500 && waited < 6000, `waited ${waited} ms for a 2 s lock_timeout`);
  t.deepEqual(await whereIs(key), {
    usa: { directory: null, leaf: null },
    gbr: { directory: null, leaf: null },
    aus: { directory: null, leaf: null },
  });
});

test.serial('concurrent upserts of one key from every region: no duplicate anywhere, and a loser gets 40001, never 23505', async (t) => {
  const key = randomUUID();
  const outcomes = await Promise.all(
    REGIONS.map((r) =>
      fleet.query(r, "SELECT (shared.upsert_identity($1, 'Racer', $2, 'n')).created", [key, 'gbr']).then(
        () => 'ok',
        (e: { code: string }) => e.code,
      ),
    ),
  );
  t.true(outcomes.includes('ok'), outcomes.join(','));
  // one truth (README "When things fail", functionsHardening.test.ts): a loser gets 40001, retryable, never 23505
  for (const o of outcomes) t.true(['ok', '40001'].includes(o), o);
  // In every region: one directory row, and the personal row once, in gbr's
  // leaf only, counted leaf by leaf (the local one and each foreign partition).
  for (const region of REGIONS) {
    const [directory] = await fleet.query(region, 'SELECT count(*)::int AS n FROM shared.identity WHERE uuid = $1', [key]);
    t.is(directory?.n, 1, `${region}: directory rows`);
    for (const leaf of REGIONS) {
      const [n] = await fleet.query(region, `SELECT count(*)::int AS n FROM ONLY "${leaf}".identity_details WHERE uuid = $1`, [key]);
      t.is(n?.n, leaf === 'gbr' ? 1 : 0, `${region} reads ${leaf}'s leaf`);
    }
    const [all] = await fleet.query(region, 'SELECT count(*)::int AS n FROM shared.identity_details WHERE uuid = $1', [key]);
    t.is(all?.n, 1, `${region}: through the parent`);
  }
  const where = await whereIs(key);
  t.is(where.gbr?.leaf, 'Racer');
});

test.serial('set-based upsert of 1,000 rows across three regions puts every row in its owner only', async (t) => {
  await clearAll();
  const rows = Array.from({ length: 1000 }, (_, i) => ({ uuid: randomUUID(), region: REGIONS[i % 3], note: `n${i}`, name: `person ${i}` }));
  const result = await fleet.query('aus', 'SELECT * FROM shared.upsert_identity_many($1)', [JSON.stringify(rows)]);
  t.is(result.length, 1000);
  t.true(result.every((r) => r.created === true));
  t.is(result.filter((r) => r.owned_here).length, 333);
  for (const region of REGIONS) {
    const [d] = await fleet.query(region, 'SELECT count(*)::int AS n FROM shared.identity');
    t.is(d?.n, 1000, `${region} directory`);
    const leaf = await fleet.query(region, `SELECT region, count(*)::int AS n FROM ONLY "${region}".identity_details GROUP BY region`);
    t.deepEqual(leaf, [{ region, n: region === 'usa' ? 334 : 333 }], `${region} leaf holds its own rows only`);
  }
  // again from usa (routing mode), half of them changed: updates, no new rows
  const changed = rows.slice(0, 500).map((r) => ({ ...r, name: `${r.name} v2` }));
  const again = await fleet.query('usa', 'SELECT * FROM shared.upsert_identity_many($1)', [JSON.stringify(changed)]);
  t.true(again.every((r) => r.created === false));
  const [v2] = await fleet.query('gbr', "SELECT count(*)::int AS n FROM shared.identity_details WHERE name LIKE '% v2'");
  t.is(v2?.n, 500);
  const [total] = await fleet.query('gbr', 'SELECT count(*)::int AS n FROM shared.identity_details');
  t.is(total?.n, 1000);
});

test.serial('get_identity and a region-filtered query read only the owner region', async (t) => {
  const key = randomUUID();
  await fleet.query('gbr', "SELECT shared.upsert_identity($1, 'Finder', 'usa', 'found')", [key]);
  const rows = await fleet.query('aus', 'SELECT uuid, region, note, name FROM shared.get_identity($1)', [key]);
  t.deepEqual(rows, [{ uuid: key, region: 'usa', note: 'found', name: 'Finder' }]);
  // the plan of a region-filtered query on the parent touches one partition
  const plan = await fleet.query('aus', "EXPLAIN (COSTS OFF) SELECT * FROM shared.identity_details WHERE region = 'usa' AND uuid = $1", [
    key,
  ]);
  const text = plan.map((r) => r['QUERY PLAN']).join('\n');
  t.regex(text, /Foreign Scan on identity_details/);
  t.notRegex(text, /Append/);
});

test.serial("ANALYZE copies no other region's personal values into local statistics", async (t) => {
  const people = Array.from({ length: 60 }, (_, i) => ({ uuid: randomUUID(), region: REGIONS[i % 3], note: 'n', name: `Name ${i % 7}` }));
  await fleet.query('usa', 'SELECT count(*) FROM shared.upsert_identity_many($1)', [JSON.stringify(people)]);
  for (const region of REGIONS) {
    await fleet.query(region, `ANALYZE shared.identity_details; ANALYZE "${region}".identity_details`);
    for (const other of REGIONS.filter((r) => r !== region)) await fleet.query(region, `ANALYZE "${other}".identity_details`);
    const stats = await fleet.query(
      region,
      `SELECT schemaname, tablename, attname, most_common_vals::text AS mcv, histogram_bounds::text AS hist
         FROM pg_stats WHERE tablename = 'identity_details' AND attname = 'name' ORDER BY schemaname`,
    );
    // only the region's own leaf may have statistics of its own people's names
    t.deepEqual(
      stats.map((s) => s.schemaname),
      [region],
      region,
    );
  }
});
