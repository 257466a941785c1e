// How long pg_sleep(s) really sleeps (issue 20): on each server of a 3-region
// fleet (PostgreSQL 10, 11, 18), `runs` calls of each duration, timed inside
// the server (clock_timestamp around each call), median and 90th percentile.
// pg_sleep waits in whole milliseconds (WaitLatch(ceil(remaining ms))) and the
// latch can return a hair early, so a whole-millisecond request sleeps one
// millisecond more; the waits in residency.wave and read_collect ask for
// n - 0.5 ms to sleep n.
//   npm run build && node --import tsx bench/pgSleep.ts [runs]
import { startProxiedFleet } from './proxiedFleet.js';
import { regionFleet } from './regionFleets.js';

const runs = Number(process.argv[2] ?? 200);
const seconds = [0.0002, 0.0005, 0.0009, 0.001, 0.0015, 0.002, 0.0025, 0.003, 0.0035, 0.0045, 0.005, 0.0095, 0.01];
const fleet = await startProxiedFleet({ regions: regionFleet(3), delayMs: 0 });
try {
  const table = new Map<number, string[]>(seconds.map((s) => [s, []]));
  const versions: string[] = [];
  for (const r of fleet.config.regions) {
    const c = await fleet.client(r.name);
    versions.push(`${r.name} ${(await c.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v}`);
    await c.query(`CREATE FUNCTION pg_temp.slept(s float8, n integer) RETURNS float8[] LANGUAGE plpgsql AS $$
      DECLARE t timestamptz; ms float8[] := '{}';
      BEGIN
        FOR i IN 1..n LOOP
          t := clock_timestamp();
          PERFORM pg_sleep(s);
          ms := ms || extract(epoch FROM clock_timestamp() - t)::float8 * 1000;
        END LOOP;
        RETURN ms;
      END $$`);
    for (const s of seconds) {
      const { rows } = await c.query<{ median: number; p90: number }>(
        `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS median, percentile_cont(0.9) WITHIN GROUP (ORDER BY ms) AS p90
           FROM unnest(pg_temp.slept($1, $2)) ms`,
        [s, runs],
      );
      table.get(s)!.push(`${rows[0]!.median.toFixed(2)} (${rows[0]!.p90.toFixed(2)})`);
    }
  }
  process.stdout.write(`pg_sleep, ms asked: median ms slept (p90), ${runs} calls each; ${versions.join(', ')}\n`);
  for (const [asked, cells] of table) process.stdout.write(`${(asked * 1000).toFixed(1).padStart(6)}  ${cells.join('  ')}\n`);
} finally {
  await fleet.stop();
}
