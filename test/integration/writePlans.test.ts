import test from 'ava';
import { randomUUID } from 'node:crypto';
import { MIXED, startFleet, type Fleet } from '../helpers/fleet.js';
import { until } from '../helpers/poll.js';

// Issue 20: a write's parts probe the tables' key indexes, whatever the
// tables' size. The planner counts 100 rows for any jsonb_array_elements, so
// a part of one key hashed those 100 and read the whole personal table (every
// region) and the coordinator's loopback the whole directory, until a table
// passed tens of thousands of rows: with 2,400 people per region every write
// read all of them, and a link backend's CPU per write doubled under load as
// the tables grew (3.0 to 6.8 ms in seven 10 s cells of 3 x 32 clients).
// A part of one key now names it as a scalar (`key = value`), which the
// planner answers by the key's index at any size; a batch's part still joins.
const REGIONS = ['usa', 'gbr', 'aus'] as const;
let fleet: Fleet;
test.before(async () => {
  fleet = await startFleet({ regions: MIXED, unsafeFast: true });
});
test.after.always(async () => {
  await fleet?.stop();
});

interface Scans {
  readonly dirSeq: number;
  readonly dirIdx: number;
  readonly leafSeq: number;
  readonly leafIdx: number;
}

/** The scan counters of a region's directory and its own personal table (as the statistics have them now). */
async function scans(region: string): Promise<Scans> {
  const [row] = await fleet.query<Scans>(
    region,
    `SELECT pg_stat_clear_snapshot()::text IS NULL AS cleared,
       (SELECT seq_scan FROM pg_stat_user_tables WHERE relid = 'shared.identity'::regclass)::int AS "dirSeq",
       (SELECT COALESCE(idx_scan, 0) FROM pg_stat_user_tables WHERE relid = 'shared.identity'::regclass)::int AS "dirIdx",
       (SELECT seq_scan FROM pg_stat_user_tables WHERE relid = $1::regclass)::int AS "leafSeq",
       (SELECT COALESCE(idx_scan, 0) FROM pg_stat_user_tables WHERE relid = $1::regclass)::int AS "leafIdx"`,
    [`"${region}".identity_details`],
  );
  return row!;
}

test('a single write reads no table whole in any region: its parts and its claim probe the key indexes', async (t) => {
  // thousands of people in every region, the statistics fresh
  for (let batch = 0; batch < 3; batch += 1)
    await fleet.query('gbr', 'SELECT count(*) FROM shared.upsert_identity_many($1)', [
      JSON.stringify(
        Array.from({ length: 1000 }, (_, i) => ({ uuid: randomUUID(), region: REGIONS[i % 3], name: `Person ${i}`, note: 'bulk' })),
      ),
    ]);
  for (const region of REGIONS) await fleet.query(region, 'ANALYZE');
  const write = (owner: string) =>
    fleet.query('usa', 'SELECT shared.upsert_identity($1, $2, $3, $4)', [randomUUID(), 'Someone', owner, 'single']);
  for (const owner of REGIONS) await write(owner);
  // (statistics reach the counters a moment after each transaction: wait until they stand still)
  const settled = async () => {
    let last = '';
    return until(
      'the scan counters to stand still',
      async () => {
        const now = await Promise.all(REGIONS.map((r) => scans(r)));
        const same = JSON.stringify(now) === last;
        last = JSON.stringify(now);
        if (!same) await new Promise((r) => setTimeout(r, 1500));
        return same && now;
      },
      60_000,
    );
  };
  const before = await settled();
  const writes = 12;
  for (let i = 0; i < writes; i += 1) await write(REGIONS[i % 3]!);
  // every region's part read its personal table once per write, by a scan of one kind or the
  // other: wait until all of them are counted
  const after = await until(
    'every part to be counted',
    async () => {
      const now = await Promise.all(REGIONS.map((r) => scans(r)));
      return now.every((s, i) => s.leafIdx + s.leafSeq - before[i]!.leafIdx - before[i]!.leafSeq >= writes) && now;
    },
    60_000,
  );
  for (const [i, region] of REGIONS.entries()) {
    t.is(after[i]!.leafSeq - before[i]!.leafSeq, 0, `${region}: no write read "${region}".identity_details whole`);
    t.is(after[i]!.dirSeq - before[i]!.dirSeq, 0, `${region}: no write read shared.identity whole`);
  }
  // the coordinator's loopback read its directory rows under the claim by the index
  t.true(after[0]!.dirIdx - before[0]!.dirIdx >= writes, 'usa: the claim read each key by the index');
});
