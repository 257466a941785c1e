import test from 'ava';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import { resolveFleet } from '../../src/migrate/resolveFleet.js';
import { syncFleet } from '../../src/migrate/syncFleet.js';
import { verifyFleet } from '../../src/verify/verifyFleet.js';
import { recordCase } from '../helpers/catalogue.js';
import { freezeRegion } from '../helpers/crash.js';
import { MIXED, startFleet, type Fleet } from '../helpers/fleet.js';

// Issue 19, finding 3: a region whose server is stopped (SIGSTOP: it accepts
// connections and never answers) does not hang a write that does not need it,
// on a PostgreSQL 10, 11 or 18 coordinator: with statement_timeout 5 s the
// write returns within it and the stopped region's directory row is queued;
// a write that needs it fails within it; verify reports it within its bound.
let fleet: Fleet;
let thaw: (() => void) | undefined;
test.before(async () => {
  fleet = await startFleet({ regions: MIXED });
});
test.after.always(async () => {
  thaw?.();
  await fleet?.stop();
});

const STATEMENT_TIMEOUT_MS = 5000;
const major = (region: string) => MIXED.find((r) => r.name === region)!.postgres;

async function outcome(p: Promise<pg.QueryResult>): Promise<{ code: string; message: string; rows: pg.QueryResultRow[] }> {
  try {
    return { code: 'none', message: '', rows: (await p).rows };
  } catch (error) {
    const e = error as { code?: string; message: string };
    return { code: e.code ?? 'none', message: e.message, rows: [] };
  }
}

for (const [frozen, coordinator] of [
  ['aus', 'usa'],
  ['aus', 'gbr'],
  ['gbr', 'aus'],
] as const) {
  test.serial(
    `issue 19 finding 3: with ${frozen} stopped, a write from ${coordinator} (PostgreSQL ${major(coordinator)}) that does not need it returns within statement_timeout and queues its row`,
    async (t) => {
      recordCase(t, 3, 0, 19);
      // a session that already holds links to every region, and a fresh one
      const warm = await fleet.client(coordinator);
      await warm.query("SELECT shared.upsert_identity($1, 'Warm-up', $2, 'w')", [randomUUID(), coordinator]);
      const queued: string[] = [];
      thaw = freezeRegion(fleet, frozen);
      try {
        for (const session of ['warm', 'fresh'] as const) {
          const client = session === 'warm' ? warm : await fleet.client(coordinator);
          await client.query(`SET statement_timeout = '${STATEMENT_TIMEOUT_MS}ms'`);
          const key = randomUUID();
          const started = performance.now();
          const write = await outcome(client.query("SELECT * FROM shared.upsert_identity($1, 'Frozen Out', $2, 'f')", [key, coordinator]));
          const took = performance.now() - started;
          t.is(write.code, 'none', `${session}: ${write.message}`);
          // (from 17 on dblink ignores connect_timeout: a fresh session's connect ends at statement_timeout)
          const bound = session === 'fresh' && major(coordinator) >= 17 ? STATEMENT_TIMEOUT_MS + 500 : STATEMENT_TIMEOUT_MS;
          t.true(took < bound, `${session}: returned in ${Math.round(took)} ms`);
          const outbox = (
            await fleet.query(coordinator, 'SELECT region FROM shared.identity_outbox WHERE uuid = $1 ORDER BY region', [key])
          ).map((r) => r.region);
          if (bound === STATEMENT_TIMEOUT_MS) t.deepEqual(outbox, [frozen], `${session}: the stopped region's row is queued`);
          // (17+, fresh: statement_timeout ended the connect; the regions not yet connected are queued too)
          else t.true(outbox.includes(frozen), `${session}: the stopped region's row is queued: ${outbox.join(', ')}`);
          queued.push(key);
          // a write that needs the stopped region fails within the timeout too, and writes nothing
          const needs = randomUUID();
          const startedNeeds = performance.now();
          const refused = await outcome(client.query("SELECT * FROM shared.upsert_identity($1, 'Needs It', $2, 'n')", [needs, frozen]));
          t.true(['RS011', '57014'].includes(refused.code), `${session}: ${refused.code} ${refused.message}`);
          t.true(
            performance.now() - startedNeeds < STATEMENT_TIMEOUT_MS + 1000,
            `${session}: refused in ${Math.round(performance.now() - startedNeeds)} ms`,
          );
          t.deepEqual(await fleet.query(coordinator, 'SELECT 1 FROM shared.identity WHERE uuid = $1', [needs]), []);
        }
        if (coordinator === 'usa') {
          // verify reports the stopped region as failed within its bound, and the others as usual
          const started = performance.now();
          const report = await verifyFleet(fleet.config, fleet.env, { dir: fleet.dir });
          t.true(performance.now() - started < 30_000, `verify took ${Math.round(performance.now() - started)} ms`);
          t.false(report.ok);
          t.true(
            report.findings.some((f) => f.region === frozen || f.detail.includes(`"${frozen}"`)) ||
              report.regions.some((r) => r.region === frozen),
            JSON.stringify({
              findings: report.findings.map((f) => `${f.rule} ${f.region} ${f.detail}`),
              regions: report.regions.map((r) => r.region),
            }),
          );
        }
      } finally {
        thaw();
        thaw = undefined;
      }
      // back: resolve ends what the stopped region ran late, sync delivers the queued rows
      await resolveFleet(fleet.config, [], true, fleet.env);
      const synced = await syncFleet(fleet.config, [coordinator], false, fleet.env);
      t.is(synced[0]?.error, undefined, synced[0]?.error?.message);
      for (const key of queued) {
        t.deepEqual(await fleet.query(frozen, 'SELECT region, name FROM shared.identity_details WHERE uuid = $1', [key]), [
          { region: coordinator, name: 'Frozen Out' },
        ]);
      }
      await resolveFleet(fleet.config, [], true, fleet.env);
      for (const region of MIXED.map((r) => r.name)) {
        t.deepEqual(await fleet.query(region, 'SELECT gid FROM pg_prepared_xacts'), [], `${region}: nothing prepared`);
      }
      const report = await verifyFleet(fleet.config, fleet.env, { dir: fleet.dir });
      t.deepEqual(
        report.findings.map((f) => `${f.rule} ${f.region} ${f.key ?? ''} ${f.detail}`),
        [],
      );
    },
  );
}
