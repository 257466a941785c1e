// Bulk upsert of new keys, then of the same keys again (every key exists):
// issue 20's "100k updates within 1.5x of 100k inserts". One call per batch
// (upsert_identity_many), on a local 3-region fleet without delay; PROFILE=1
// prints each function's time per region. The measured suite, with 5 ms each
// way and the servers' CPU, is bench/benchBulk.ts (npm run bench:bulk, and
// part of npm run bench).
//   npm run build && node --import tsx bench/bulkUpdate.ts [rows] [batch]
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { MIXED_FLEET, startScratchFleet } from '../test/helpers/scratchFleet.js';

const rows = Number(process.argv[2] ?? 10_000);
const batch = Number(process.argv[3] ?? rows);
const fleet = await startScratchFleet({ regions: MIXED_FLEET, unsafeFast: true });
try {
  const client = await fleet.client('usa');
  const profile = process.env.PROFILE === '1';
  if (profile)
    for (const r of ['usa', 'gbr', 'aus']) {
      await fleet.query(r, "ALTER SYSTEM SET track_functions = 'all'");
      await fleet.query(r, 'SELECT pg_reload_conf()');
    }
  const stats = async () => {
    const out: string[] = [];
    for (const r of ['usa', 'gbr', 'aus']) {
      const rows = await fleet.query<{ f: string; calls: number; total: number; self: number }>(
        r,
        "SELECT schemaname || '.' || funcname AS f, calls::int, round(total_time)::int AS total, round(self_time)::int AS self FROM pg_stat_user_functions WHERE total_time > 50 ORDER BY total_time DESC",
      );
      for (const x of rows) out.push(`  ${r} ${x.f}: calls ${x.calls}, total ${x.total} ms, self ${x.self} ms`);
      await fleet.query(r, 'SELECT pg_stat_reset()');
    }
    return out.join('\n');
  };
  await client.query("SET statement_timeout = '600s'");
  const keys = Array.from({ length: rows }, () => randomUUID());
  const regions = ['usa', 'gbr', 'aus'];
  const run = async (label: string, note: string) => {
    const started = performance.now();
    for (let i = 0; i < rows; i += batch) {
      const chunk = keys.slice(i, i + batch).map((uuid, j) => ({ uuid, region: regions[(i + j) % 3], name: `N ${j}`, note }));
      await client.query('SELECT count(*) FROM shared.upsert_identity_many($1)', [JSON.stringify(chunk)]);
    }
    const ms = performance.now() - started;
    process.stdout.write(`${label.padEnd(8)} ${rows} rows in batches of ${batch}: ${(ms / 1000).toFixed(2)} s\n`);
    if (profile) {
      await new Promise((r) => setTimeout(r, 1000)); // (statistics are sent when a backend goes idle)
      process.stdout.write(`${await stats()}\n`);
    }
    return ms;
  };
  const insert = await run('insert', 'first');
  const update = await run('update', 'second');
  process.stdout.write(`update / insert: ${(update / insert).toFixed(2)}x\n`);
} finally {
  await fleet.stop();
}
