// Where one single write's time goes (issue 20, CPU per write): on a proxied
// fleet of `regions` regions, `n` upserts of a new person called in usa, with
// each server's CPU (every backend of it, from /proc) and the self time of
// every pg-residency function (track_functions) per write, and the wall time.
//   npm run build && node --import tsx bench/profileWrite.ts [regions] [n] [kind]
// kind: new (default) or existing.
import { readFileSync, readdirSync } from 'node:fs';
import { cpuMs, cpuMsIfAlive } from './processCpu.js';
import type pg from 'pg';
import { identityCalls as call, newPerson } from './identityCalls.js';
import { startProxiedFleet } from './proxiedFleet.js';
import { regionFleet } from './regionFleets.js';
import { median } from './median.js';

const count = Number(process.argv[2] ?? 3);
const n = Number(process.argv[3] ?? 60);
const kind = process.argv[4] ?? 'new';

/** Milliseconds on a CPU of the postmaster `pid` and all its children (backends gone meanwhile left out). */
function serverCpuMs(pid: number): number {
  let total = 0;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (Number(d) === pid || ppid === pid) total += cpuMsIfAlive(Number(d)) ?? 0;
    } catch {
      // gone
    }
  }
  return total;
}

const regions = regionFleet(count);
const fleet = await startProxiedFleet({ regions, delayMs: 5 });
try {
  const clients: Record<string, pg.Client> = {};
  const pids: Record<string, number> = {};
  for (const r of regions) {
    const c = await fleet.client(r.name);
    clients[r.name] = c;
    await c.query("ALTER SYSTEM SET track_functions = 'all'");
    await c.query('SELECT pg_reload_conf()');
    const dir = (await c.query<{ d: string }>('SELECT current_setting($1) AS d', ['data_directory'])).rows[0]!.d;
    pids[r.name] = Number(readFileSync(`${dir}/postmaster.pid`, 'utf8').split('\n')[0]);
  }
  const usa = clients.usa!;
  const people = Array.from({ length: n + 5 }, () => newPerson('usa'));
  if (kind === 'existing') await call.upsertMany(usa, people);
  for (const p of people.slice(0, 5)) await call.upsert(usa, kind === 'existing' ? { ...p, name: `${p.name}!` } : p);
  // new link sessions from the warm-up carry the setting; reset counters
  await new Promise((r) => setTimeout(r, 300));
  for (const r of regions) await clients[r.name]!.query('SELECT pg_stat_reset()');
  await new Promise((r) => setTimeout(r, 600));
  const before = Object.fromEntries(regions.map((r) => [r.name, serverCpuMs(pids[r.name]!)]));
  const wall: number[] = [];
  for (const p of people.slice(5)) {
    const t = process.hrtime.bigint();
    await call.upsert(usa, kind === 'existing' ? { ...p, name: `${p.name}!` } : p);
    wall.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  const after = Object.fromEntries(regions.map((r) => [r.name, serverCpuMs(pids[r.name]!)]));
  await new Promise((r) => setTimeout(r, 800));
  const floor: number[] = [];
  const proxied = await Promise.all(regions.filter((r) => r.name !== 'usa').map((r) => fleet.proxiedClient(r.name)));
  for (let i = 0; i < 20; i += 1) {
    const t = process.hrtime.bigint();
    await Promise.all(proxied.map((c) => c.query('SELECT 1')));
    floor.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  // the calling backend's own CPU (schedstat, ns) per write, beside what one
  // wave costs it (residency.wave: send, poll, collect), on the loopback alone
  // and on every other region: a write runs 4 waves (its claim on the loopback,
  // the parts everywhere, the decision on the loopback, COMMIT PREPARED elsewhere)
  const pid = (usa as unknown as { processID: number }).processID;
  const callerMs = async (run: () => Promise<unknown>, times = 40) => {
    const t = cpuMs(pid);
    for (let i = 0; i < times; i += 1) await run();
    return (cpuMs(pid) - t) / times;
  };
  const others = regions.filter((r) => r.name !== 'usa').map((r) => r.name);
  const wave = (names: readonly string[]) =>
    usa.query("SELECT * FROM residency.wave($1::jsonb, NULL, '{}')", [
      JSON.stringify(Object.fromEntries(names.map((r) => [r, 'SELECT 1']))),
    ]);
  const extra = Array.from({ length: 40 }, () => newPerson('usa'));
  const callerWrite = await callerMs(async () => call.upsert(usa, extra.pop()!));
  const loopbackWave = await callerMs(() => wave(['usa']));
  const remoteWave = await callerMs(() => wave(others));
  const select1 = await callerMs(() => usa.query('SELECT 1'));
  process.stdout.write(
    `  calling backend CPU: a write ${callerWrite.toFixed(2)} ms; a wave on the loopback ${loopbackWave.toFixed(2)} ms, on the ${others.length} other regions ${remoteWave.toFixed(2)} ms; SELECT 1 ${select1.toFixed(2)} ms\n`,
  );
  process.stdout.write(
    `${count} regions, ${n} ${kind} writes: wall median ${median(wall).toFixed(1)} ms, floor ${median(floor).toFixed(1)} ms, ratio ${(median(wall) / median(floor)).toFixed(2)}\n`,
  );
  for (const r of regions) {
    const cpu = (after[r.name]! - before[r.name]!) / n;
    const { rows } = await clients[r.name]!.query<{ f: string; calls: string; self: number; total: number }>(
      `SELECT schemaname || '.' || funcname AS f, calls, self_time AS self, total_time AS total FROM pg_stat_user_functions
       ORDER BY self_time DESC LIMIT 14`,
    );
    process.stdout.write(`  ${r.name}: server CPU ${cpu.toFixed(2)} ms per write\n`);
    for (const row of rows)
      process.stdout.write(
        `    ${row.f.padEnd(40)} calls/write ${(Number(row.calls) / n).toFixed(1).padStart(5)}  self ${(row.self / n).toFixed(3)} ms  total ${(row.total / n).toFixed(3)} ms\n`,
      );
  }
} finally {
  await fleet.stop();
}
