import test from 'ava';
import { MIXED, startFleet, type Fleet } from '../helpers/fleet.js';

// The plans docs/guides/reading.md ("Planner settings") describes, on the
// mixed fleet (usa 10, gbr 11, aus 18) with the server options pg-residency
// generates: a partitionwise GROUP BY region on the parent is one aggregate
// per region, pushed down to it (asynchronous on 18), its counts equal to
// each owner's; one region's count with GROUP BY region is pushed down on 18
// only; without the setting the rows are fetched.
const PER_REGION: Record<string, number> = { usa: 30, gbr: 20, aus: 10 };
let fleet: Fleet;

test.before(async () => {
  fleet = await startFleet({ regions: MIXED, unsafeFast: true });
  const regions = Object.keys(PER_REGION);
  for (const r of regions) {
    await fleet.query(
      r,
      `INSERT INTO shared.identity (uuid, region, note, created_on)
       SELECT md5(r.name || ':' || i)::uuid, r.name, 'n', now() FROM unnest($1::text[]) r(name), generate_series(1, ($2::jsonb ->> r.name)::int) i`,
      [regions, JSON.stringify(PER_REGION)],
    );
    await fleet.query(
      r,
      `INSERT INTO "${r}".identity_details (uuid, region, name) SELECT md5($1 || ':' || i)::uuid, $1, 'Person ' || i FROM generate_series(1, $2::int) i`,
      [r, PER_REGION[r]],
    );
  }
});

test.after.always(async () => {
  await fleet?.stop();
});

/** The plan of `sql` in `region`, one line per node, with partitionwise aggregation on. */
async function plan(region: string, sql: string, partitionwise = true): Promise<string> {
  const c = await fleet.client(region);
  try {
    if (partitionwise) await c.query('SET enable_partitionwise_aggregate = on');
    const { rows } = await c.query<{ 'QUERY PLAN': string }>(`EXPLAIN (VERBOSE, COSTS OFF) ${sql}`);
    return rows.map((r) => r['QUERY PLAN']).join('\n');
  } finally {
    await c.end();
  }
}

const GROUP = 'SELECT region, count(*) AS n FROM shared.identity_details GROUP BY region ORDER BY region';

test('partitionwise GROUP BY region on the parent: one aggregate pushed down to each other region, asynchronous on 18', async (t) => {
  const from18 = await plan('aus', GROUP);
  t.is(from18.match(/Async Foreign Scan/g)?.length, 2, from18);
  t.regex(from18, /Relations: Aggregate on \(gbr\.identity_details/);
  t.regex(from18, /Relations: Aggregate on \(usa\.identity_details/);
  const from11 = await plan('gbr', GROUP);
  t.notRegex(from11, /Async/);
  t.is(from11.match(/Relations: Aggregate on/g)?.length, 2, from11);
  // without the setting, the rows are fetched and counted here
  const shipped = await plan('aus', GROUP, false);
  t.notRegex(shipped, /Relations: Aggregate on/);
  t.regex(shipped, /Remote SQL: SELECT region FROM usa\.identity_details/);
});

test('partitionwise GROUP BY region returns each owner counts, from 11 and 18', async (t) => {
  for (const caller of ['gbr', 'aus']) {
    const c = await fleet.client(caller);
    try {
      await c.query('SET enable_partitionwise_aggregate = on');
      const { rows } = await c.query<{ region: string; n: string }>(GROUP);
      t.deepEqual(
        rows.map((r) => [r.region, Number(r.n)]),
        [
          ['aus', PER_REGION.aus],
          ['gbr', PER_REGION.gbr],
          ['usa', PER_REGION.usa],
        ],
        caller,
      );
    } finally {
      await c.end();
    }
  }
  for (const owner of Object.keys(PER_REGION)) {
    const [row] = await fleet.query<{ n: string }>(owner, `SELECT count(*) AS n FROM "${owner}".identity_details`);
    t.is(Number(row!.n), PER_REGION[owner]!);
  }
});

test("one region's count with GROUP BY region is pushed down on 18, fetched on 11", async (t) => {
  const sql = "SELECT count(*) FROM shared.identity_details WHERE region = 'usa' GROUP BY region";
  t.regex(await plan('aus', sql), /Relations: Aggregate on \(usa\.identity_details/);
  const from11 = await plan('gbr', sql);
  t.notRegex(from11, /Relations: Aggregate on/);
  t.regex(from11, /Remote SQL: SELECT region FROM usa\.identity_details WHERE \(\(region = 'usa'::text\)\)/);
});
