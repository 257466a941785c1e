import test from 'ava';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { MIXED, startFleet, type Fleet } from '../helpers/fleet.js';

// Issue 20: a link pooler whose pool to a region is busy queues the link;
// past query_wait_timeout (the fleet's lock_timeout, within the write's link
// timeout) PgBouncer gives up, and the write fails as "full" (RS013,
// retryable), never as an unreachable region (RS011), and nothing is queued.
const REGIONS = ['usa', 'gbr', 'aus'] as const;
let fleet: Fleet;
test.before(async () => {
  fleet = await startFleet({
    regions: MIXED,
    pooler: { poolSize: 1 },
    extra: 'timeouts: { lock_timeout: 2s, statement_timeout: 30s }',
  });
});
test.after.always(async () => {
  await fleet?.stop();
});

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => ({ code: 'none', message: 'it succeeded' }),
    (error: { code?: string; message: string }) => ({ code: error.code ?? '', message: error.message }),
  );

test('a write whose link waits in the pooler queue past query_wait_timeout is RS013 "full", not RS011, and nothing is queued', async (t) => {
  // a transaction open on a link to usa's pooler holds its one pooled connection to usa (the loopback's
  // pool); a write no longer does across its round trip (issue 20: its loopback part is prepared)
  const holder = await fleet.client('usa');
  await holder.query("SELECT residency.connect(ARRAY['usa'])");
  await holder.query("SELECT residency_dblink.dblink_exec('pg-residency:usa', 'BEGIN')");
  const key = randomUUID();
  const started = performance.now();
  const full = await failure(fleet.query('usa', "SELECT shared.upsert_identity($1, 'Queued', 'aus', 'queued')", [key]));
  const took = performance.now() - started;
  t.is(full.code, 'RS013', full.message);
  t.regex(
    full.message,
    /^region "usa" is full: the link pooler kept this write's link to it waiting for a pooled server connection past query_wait_timeout .*; nothing was written: retry/,
  );
  // query_wait_timeout is 2 s (lock_timeout); the link timeout, 5 s, did not fire
  t.true(took > 1500 && took < 4900, `failed after ${Math.round(took)} ms`);
  for (const region of REGIONS) {
    t.deepEqual(await fleet.query(region, 'SELECT uuid FROM shared.identity WHERE uuid = $1', [key]), [], `${region}: nothing written`);
    t.deepEqual(
      await fleet.query(region, 'SELECT uuid FROM shared.identity_outbox WHERE uuid = $1', [key]),
      [],
      `${region}: nothing queued`,
    );
  }
  await holder.query("SELECT residency_dblink.dblink_exec('pg-residency:usa', 'ROLLBACK')");
  // the pool free again, the same write succeeds, and nothing is left prepared
  t.is((await failure(fleet.query('usa', "SELECT shared.upsert_identity($1, 'Queued', 'aus', 'queued')", [key]))).code, 'none');
  for (const region of REGIONS) t.deepEqual(await fleet.query(region, 'SELECT gid FROM pg_prepared_xacts'), [], region);
});
