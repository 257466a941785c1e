// A new session's first write, alone and in detail (issue 20: first - warm
// within one round trip): on a fleet of `regions` regions with a link pooler
// on loopback (no TLS) beside each, `runs` new sessions in usa each write once
// (first) and three times more (warm), wall time and the CPU of the calling
// backend and its pooler; then, in another new session with its links already
// open, the first and a warm write with track_functions = 'all': each
// function's self time in the first write less a warm write's (what compiling
// it and planning its statements cost).
//   npm run build && node --import tsx bench/firstWrite.ts [regions] [runs] [variant.sql ...]
// With variant files (function definitions, CREATE OR REPLACE, e.g. dumped
// with FIRST_WRITE_DUMP=file from a checkout: the functions named in
// FIRST_WRITE_FUNCTIONS, by default those of the write's first call that the
// link backends never run), usa's functions are replaced by each variant in
// turn before each run: an A/B in one fleet, alternating.
// FIRST_WRITE_APP_POOLER=1: the application's sessions reach usa through a
// PgBouncer of their own in transaction mode (pool_size 4, beside usa), as an
// application pooler would: a new session is a new client connection to it,
// whose first write runs on a server connection an earlier session used.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import type pg from 'pg';
import { cpuMs } from './processCpu.js';
import { firstWriteSessions, startFleetAppPooler } from './firstWriteSessions.js';
import { median } from './median.js';
import { startProxiedFleet } from './proxiedFleet.js';
import { regionFleet } from './regionFleets.js';

const count = Number(process.argv[2] ?? 3);
const runs = Number(process.argv[3] ?? 5);
const variants = process.argv.slice(4);

const delayMs = 5;
const fleet = await startProxiedFleet({ regions: regionFleet(count), delayMs, pooler: { poolSize: 4, sslmode: 'disable' } });
let stopAppPooler: (() => Promise<void>) | undefined;
try {
  const names = fleet.config.regions.map((r) => r.name);
  const admin = await fleet.client(names[0]!);
  if (process.env.FIRST_WRITE_DUMP !== undefined) {
    const { rows } = await admin.query<{ def: string }>(
      `SELECT pg_get_functiondef(p.oid) || ';' AS def FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
       WHERE n.nspname IN ('residency', 'shared') AND p.proname = ANY ($1) ORDER BY n.nspname, p.proname, p.oid`,
      [(process.env.FIRST_WRITE_FUNCTIONS ?? 'upsert_identity_many,identity_defaults,connect_failures,connstr').split(',')],
    );
    writeFileSync(process.env.FIRST_WRITE_DUMP, rows.map((r) => r.def).join('\n'));
  }
  if (process.env.FIRST_WRITE_HOLD !== undefined) {
    // (for experiments by hand: the usa superuser's connection, until the file is deleted)
    const { rows } = await admin.query<{ p: string }>("SELECT current_setting('port') AS p");
    writeFileSync(process.env.FIRST_WRITE_HOLD, `${rows[0]!.p}\n`);
    while (existsSync(process.env.FIRST_WRITE_HOLD)) await new Promise((r) => setTimeout(r, 500));
  }
  const appPooler = process.env.FIRST_WRITE_APP_POOLER === '1' ? await startFleetAppPooler(fleet) : undefined;
  stopAppPooler = appPooler === undefined ? undefined : () => appPooler.stop();
  const { write, session, timed, warmUp } = await firstWriteSessions(fleet, appPooler);
  /** Server backends a session wrote on (through an application pooler, one session can meet several). */
  const backends = new Set<number>();
  /** Each function's self time (ms) in one write, from track_functions: the counts not yet reported before and after it, in one transaction. */
  const selfTimes = async (c: pg.Client) => {
    const read = async () => {
      const { rows } = await c.query<{ f: string; ms: number }>(
        `SELECT schemaname || '.' || funcname AS f, self_time AS ms FROM pg_stat_xact_user_functions`,
      );
      return new Map(rows.map((r) => [r.f, r.ms]));
    };
    await c.query('BEGIN');
    const before = await read();
    await write(c);
    const after = await read();
    await c.query('COMMIT');
    return new Map([...after].map(([f, ms]) => [f, ms - (before.get(f) ?? 0)]));
  };
  const labels = variants.length === 0 ? ['current'] : variants;
  type Figures = Record<'first' | 'warm' | 'firstCpu' | 'warmCpu' | 'openCpu' | 'openWarmCpu', number[]> & {
    fn: Map<string, number[]>;
  };
  const figures = new Map<string, Figures>(
    labels.map((l) => [l, { first: [], warm: [], firstCpu: [], warmCpu: [], openCpu: [], openWarmCpu: [], fn: new Map() }]),
  );
  const loadStart = loadavg()[0]!;
  await warmUp();
  for (let run = 0; run < runs; run += 1) {
    for (const label of labels) {
      if (variants.length > 0) await admin.query(readFileSync(label, 'utf8'));
      const m = figures.get(label)!;
      const a = await session();
      backends.add(a.pid);
      const first = await timed(a.pid, () => write(a.client));
      m.first.push(first.wall);
      m.firstCpu.push(first.cpu);
      for (let j = 0; j < 3; j += 1) {
        const warm = await timed(a.pid, () => write(a.client));
        m.warm.push(warm.wall);
        m.warmCpu.push(warm.cpu);
      }
      await a.client.end();
      const b = await session();
      await b.client.query("SET track_functions = 'all'");
      await b.client.query('SELECT residency.connect_failures($1)', [names]);
      let cpu0 = cpuMs(b.pid);
      const firstFns = await selfTimes(b.client);
      m.openCpu.push(cpuMs(b.pid) - cpu0);
      cpu0 = cpuMs(b.pid);
      const warmFns = await selfTimes(b.client);
      m.openWarmCpu.push(cpuMs(b.pid) - cpu0);
      for (const [f, r] of firstFns) {
        const list = m.fn.get(f) ?? [];
        list.push(r - (warmFns.get(f) ?? 0));
        m.fn.set(f, list);
      }
      await b.client.end();
    }
  }
  if (appPooler !== undefined) {
    process.stdout.write(
      `application sessions through a PgBouncer in transaction mode (pool_size 4); server backends met: ${backends.size}\n`,
    );
  }
  process.stdout.write(`load average (1 min) at the start ${loadStart.toFixed(1)}, at the end ${loadavg()[0]!.toFixed(1)}\n`);
  for (const [label, m] of figures) {
    const d = (xs: number[]) => median(xs).toFixed(1);
    process.stdout.write(
      `${count} regions, ${label}: first ${d(m.first)} ms, warm ${d(m.warm)} ms, first - warm ${(median(m.first) - median(m.warm)).toFixed(1)} ms` +
        ` (${((median(m.first) - median(m.warm)) / (2 * delayMs)).toFixed(2)} RT)` +
        ` (CPU first ${d(m.firstCpu)}, warm ${d(m.warmCpu)}, first - warm ${(median(m.firstCpu) - median(m.warmCpu)).toFixed(1)});` +
        ` links open: first write CPU ${d(m.openCpu)}, warm ${d(m.openWarmCpu)}\n`,
    );
    const rows = [...m.fn].map(([f, xs]) => [f, median(xs)] as const).sort((x, y) => y[1] - x[1]);
    for (const [f, ms] of rows) process.stdout.write(`  ${ms.toFixed(2).padStart(7)} ms  ${f} (first - warm self time)\n`);
  }
} finally {
  await stopAppPooler?.();
  await fleet.stop();
}
