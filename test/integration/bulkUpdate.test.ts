import test from 'ava';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { MIXED, startFleet, type Fleet } from '../helpers/fleet.js';

// Issue 20: a bulk update of existing keys is set-based. Before, the keys a
// call found existing were checked with `= ANY (array)` per row: 100,000
// updates took 95.7 s against 9.4 s for as many new keys (4.5x at 20,000 on
// the loaded test machine, 1.4x after). Then the patches still read each row
// as _rsd_rows[i], which walks the array from its start: quadratic again, for
// inserts too (100,000 new keys took minutes); now zipped (ROWS FROM).
const REGIONS = ['usa', 'gbr', 'aus'] as const;
let fleet: Fleet;
test.before(async () => {
  // (a part of 20,000 rows may take seconds on a loaded machine: the link timeout is 2 x lock_timeout + 1 s)
  fleet = await startFleet({ regions: MIXED, extra: 'timeouts: { lock_timeout: 10s }', unsafeFast: true });
});
test.after.always(async () => {
  await fleet?.stop();
});

const many = async (region: string, rows: unknown[]) =>
  fleet.query<{ uuid: string; created: boolean; owned_here: boolean }>(region, 'SELECT * FROM shared.upsert_identity_many($1)', [
    JSON.stringify(rows),
  ]);

test.serial('a batch of new and existing keys returns one result per row, in the order given, and writes every region', async (t) => {
  const existing = Array.from({ length: 300 }, () => randomUUID());
  await many(
    'gbr',
    existing.map((uuid, i) => ({ uuid, region: REGIONS[i % 3], name: `Old ${i}`, note: 'old' })),
  );
  // interleaved: every other row is new
  const keys = existing.flatMap((uuid) => [uuid, randomUUID()]);
  const results = await many(
    'aus',
    keys.map((uuid, i) => ({ uuid, region: REGIONS[Math.floor(i / 2) % 3], name: `New ${i}`, note: 'new' })),
  );
  t.deepEqual(
    results.map((r) => [r.uuid, r.created, r.owned_here]),
    keys.map((uuid, i) => [uuid, i % 2 === 1, REGIONS[Math.floor(i / 2) % 3] === 'aus']),
  );
  for (const region of REGIONS) {
    const [dir] = await fleet.query<{ n: number; new: number }>(
      region,
      "SELECT count(*)::int AS n, count(*) FILTER (WHERE note = 'new')::int AS new FROM shared.identity WHERE uuid = ANY ($1::uuid[])",
      [keys],
    );
    t.deepEqual(dir, { n: 600, new: 600 }, region);
    const [leaf] = await fleet.query<{ n: number }>(
      region,
      `SELECT count(*)::int AS n FROM ONLY "${region}".identity_details WHERE uuid = ANY ($1::uuid[]) AND name LIKE 'New %'`,
      [keys],
    );
    t.is(leaf?.n, 200, `${region} holds its own 200 rows, updated`);
  }
});

test.serial('updating 20,000 existing keys in one call takes at most 3x inserting them (it was quadratic)', async (t) => {
  const n = 20_000;
  const keys = Array.from({ length: n }, () => randomUUID());
  const rows = (note: string) => keys.map((uuid, i) => ({ uuid, region: REGIONS[i % 3], name: `P ${i}`, note }));
  const timed = async (note: string) => {
    const started = performance.now();
    const results = await many('usa', rows(note));
    t.is(results.length, n);
    return performance.now() - started;
  };
  const insert = await timed('first');
  const update = await timed('second');
  t.log(`${n} rows: insert ${Math.round(insert)} ms, update ${Math.round(update)} ms (${(update / insert).toFixed(2)}x)`);
  t.true(update < 3 * insert, `update ${Math.round(update)} ms, insert ${Math.round(insert)} ms`);
  const [dir] = await fleet.query<{ n: number }>('aus', "SELECT count(*)::int AS n FROM shared.identity WHERE note = 'second'");
  t.is(dir?.n, n);
});
