import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { literal, qualified } from '../src/sql/quote.js';
import { startProxiedFleet, type ProxiedFleet } from './proxiedFleet.js';
import { regionFleet } from './regionFleets.js';
import { diagnose, formatDiagnosis, postmasterPid } from './loadDiagnose.js';
import { mergeRuns } from './mergeRuns.js';
import { settle } from './settle.js';
import type { AppPooler } from '../test/helpers/appPooler.js';
import { firstWriteSessions, startFleetAppPooler } from './firstWriteSessions.js';

/** One operation under load: a write of a fresh random key from `caller`. */
/**
 * `upsert-ungated`: the same writes with every region's gate lifted for the
 * cell (residency.write_gate emptied, restored after), `upsert-gate-<n>`
 * with every region's gate set to n, for an A/B of the bound on writes in
 * flight in one run (issue 20).
 */
export type LoadOp = 'upsert' | 'upsert-ungated' | `upsert-gate-${number}` | `upsert@${string}` | 'floor-fdw';

export interface LoadOptions {
  /** Region counts, e.g. [3, 5]. */
  readonly counts: readonly number[];
  /** Clients per calling region, e.g. [1, 4, 16, 32]. */
  readonly clients: readonly number[];
  /** How long each cell runs, after a short warm-up. */
  readonly seconds: number;
  readonly delayMs: number;
  readonly poolSize: number;
  /** Each pooled region's writes_in_flight; default the config's (2 x pool_size). */
  readonly writesInFlight?: number;
  /** Region counts whose new session's first write is measured, with and without poolers. */
  readonly firstCallCounts: readonly number[];
  /** Which callers to run (default both: from one region, from all). */
  readonly from?: readonly ('one' | 'all')[];
  /** Which operations to run (default both). */
  readonly ops?: readonly LoadOp[];
  /** Report per cell what CPU went where and what backends and poolers waited on (onProgress). */
  readonly diagnose?: boolean;
  /** Seconds of rest before every cell but a fleet's first (a diagnosis: does the fleet's throughput come back after a pause?); default 0. */
  readonly pauseSeconds?: number;
  /** Runs of each operation, alternating (upsert, fdw, upsert, fdw, ...), at the largest concurrency from all regions (the target's cell); default 1. */
  readonly pairs?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (text: string) => void;
}

/** One cell: an operation at a concurrency, from one region or from all. */
export interface LoadCell {
  readonly regions: number;
  readonly op: LoadOp;
  readonly from: 'one' | 'all';
  readonly clientsPerRegion: number;
  readonly calls: number;
  readonly perSecond: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  /** Calls that failed with 40001 (a false abort: every key is fresh). */
  readonly aborts: number;
  /** Other failures, by SQLSTATE. */
  readonly errors: Readonly<Record<string, number>>;
  /** The 40001s by message (keys and ages blanked): which code path gave way. */
  readonly abortMessages: Readonly<Record<string, number>>;
  /** Link-role backends on a region's server, most sampled over all regions. */
  readonly linkSessions: number;
  /** Prepared transactions on a region's server, most sampled over all regions. */
  readonly prepared: number;
  /** Writes per second of each run, in the order run, when the cell ran more than once (alternating with the other operations); perSecond is their median. */
  readonly rates?: readonly number[];
}

/** How a first-write fleet's links go: through a pooler beside the calling region (TLS to it, or plain TCP on loopback), or straight across the WAN. */
export type FirstCallLinks = 'pooler' | 'pooler-plain' | 'direct';

/**
 * Where a first write's new session connects: straight to the server (a new
 * backend, which compiles the write's functions and opens its links), or to
 * an application pooler in transaction mode in front of it (a new client
 * connection, whose write runs on a server connection an earlier session
 * used: docs/own-databases.md).
 */
export type FirstCallSessions = 'backend' | 'app-pooler';

export interface FirstCall {
  readonly regions: number;
  readonly links: FirstCallLinks;
  readonly sessions: FirstCallSessions;
  /** A new session's first write (median wall ms). */
  readonly firstMs: number;
  /** The same session's next writes (median wall ms). */
  readonly warmMs: number;
  /** CPU of the calling backend and its pooler during a first write (median ms, from /proc/<pid>/schedstat). */
  readonly firstCpuMs: number;
  /** The same during a warm write. */
  readonly warmCpuMs: number;
  /** CPU a new session spends loading dblink and PL/pgSQL (its first dblink call and a call of connect_failures with no region). */
  readonly libraryCpuMs: number;
  /** CPU a new session spends opening its links to every region, dblink loaded (backend and pooler). */
  readonly linksCpuMs: number;
  /** Wall time of the same (median ms). */
  readonly linksMs: number;
  /** CPU of a session's first write when its links are already open, less a warm write's: PL/pgSQL compiling the write's functions, first plans, catalog caches. */
  readonly compileCpuMs: number;
  /** Connections the delay proxies accepted during a first write: new links across the WAN. */
  readonly wanConnects: number;
}

export interface LoadResult {
  readonly delayMs: number;
  readonly poolSize: number;
  readonly seconds: number;
  readonly cells: readonly LoadCell[];
  readonly firstCalls: readonly FirstCall[];
  readonly failures: readonly string[];
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** A 40001's message and where it came from, its keys, gids and numbers blanked so that one code path counts once. */
function abortMessage(error: unknown): string {
  const e = error as { message?: string; where?: string };
  const blank = (s: string) =>
    s
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
      .replace(/pg-residency:[^ )']+/g, '<gid>')
      .replace(/-?\d+/g, 'N');
  const where = (e.where ?? '').split('\n').slice(0, 3).join(' < ');
  return blank(`${e.message ?? String(error)}${where ? ` [${where}]` : ''}`);
}

/** The hand-written postgres_fdw transaction of the region benchmark's floor: the person here, the directory row in every other region. */
async function prepareFloor(fleet: ProxiedFleet): Promise<void> {
  const names = fleet.config.regions.map((r) => r.name);
  for (const caller of names) {
    const c = await fleet.client(caller);
    await c.query('CREATE SCHEMA IF NOT EXISTS bench_fdw');
    await c.query(
      'CREATE TABLE IF NOT EXISTS public.bench_floor_directory (uuid uuid PRIMARY KEY, region text NOT NULL, note text, created_on timestamptz NOT NULL)',
    );
    await c.query('GRANT INSERT ON public.bench_floor_directory TO PUBLIC');
    for (const r of names.filter((n) => n !== caller)) {
      await c.query(
        `CREATE FOREIGN TABLE IF NOT EXISTS ${qualified('bench_fdw', r)} (uuid uuid, region text, note text, created_on timestamptz) SERVER ${qualified(r)} OPTIONS (schema_name 'public', table_name 'bench_floor_directory')`,
      );
    }
  }
}

function floorSql(caller: string, remotes: readonly string[]): string {
  const uuid = literal(randomUUID());
  return [
    'BEGIN',
    `INSERT INTO shared.identity (uuid, region, note) VALUES (${uuid}, ${literal(caller)}, 'load')`,
    `INSERT INTO ${qualified(caller, 'identity_details')} (uuid, region, name) VALUES (${uuid}, ${literal(caller)}, 'load')`,
    ...remotes.map(
      (r) =>
        `INSERT INTO ${qualified('bench_fdw', r)} (uuid, region, note, created_on) VALUES (${uuid}, ${literal(caller)}, 'load', now())`,
    ),
    'COMMIT',
  ].join(';\n');
}

/** Samples the link sessions and prepared transactions of every region until stopped; returns the most seen. */
function sampler(clients: readonly pg.Client[], role: string): { stop: () => Promise<{ links: number; prepared: number }> } {
  let running = true;
  let links = 0;
  let prepared = 0;
  const loop = (async () => {
    while (running) {
      for (const c of clients) {
        const { rows } = await c.query<{ n: number; p: number }>(
          'SELECT (SELECT count(*)::int FROM pg_stat_activity WHERE usename = $1) AS n, (SELECT count(*)::int FROM pg_prepared_xacts) AS p',
          [role],
        );
        links = Math.max(links, rows[0]!.n);
        prepared = Math.max(prepared, rows[0]!.p);
      }
      await sleep(50);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { links, prepared };
    },
  };
}

async function runCell(
  fleet: ProxiedFleet,
  op: LoadOp,
  from: 'one' | 'all',
  perRegion: number,
  seconds: number,
  samplers: readonly pg.Client[],
  signal?: AbortSignal,
  diagnosis?: {
    servers: readonly pg.Client[];
    poolers: readonly { readonly region: string; readonly client: pg.Client }[];
    postmasters: ReadonlySet<number>;
    poolerPids: ReadonlySet<number>;
    report: (lines: string[]) => void;
  },
): Promise<LoadCell> {
  const names = fleet.config.regions.map((r) => r.name);
  const callers = from === 'one' ? [names[0]!] : names;
  const sessions = await Promise.all(
    callers.flatMap((caller) => Array.from({ length: perRegion }, async () => ({ caller, client: await fleet.client(caller) }))),
  );
  const call = (caller: string, client: pg.Client) =>
    op !== 'floor-fdw'
      ? client.query('SELECT shared.upsert_identity($1, $2, $3, $4)', [
          randomUUID(),
          'load',
          names[Math.floor(Math.random() * names.length)],
          'load',
        ])
      : client.query(
          floorSql(
            caller,
            names.filter((n) => n !== caller),
          ),
        );
  // the A/B of the gate: lifted (or set to another bound) for this cell, put back after
  const bound = /^upsert-gate-(\d+)$/.exec(op)?.[1];
  const gates =
    op === 'upsert-ungated' || bound !== undefined
      ? await Promise.all(
          samplers.map(async (c) => {
            const { rows } = await c.query<{ region: string; slots: string }>('DELETE FROM residency.write_gate RETURNING region, slots');
            if (bound !== undefined)
              for (const g of rows) await c.query('INSERT INTO residency.write_gate (region, slots) VALUES ($1, $2)', [g.region, bound]);
            return rows;
          }),
        )
      : [];
  // the A/B of the write functions: `upsert@<file.sql>` runs the file (CREATE OR REPLACE FUNCTION ...) in every region first
  const variant = /^upsert@(.+)$/.exec(op)?.[1];
  if (variant !== undefined) await Promise.all(samplers.map((c) => c.query(readFileSync(variant, 'utf8'))));
  // warm-up: every session connected and its links open
  await Promise.all(sessions.map(({ caller, client }) => call(caller, client).catch(() => undefined)));
  const latencies: number[] = [];
  const errors: Record<string, number> = {};
  let aborts = 0;
  const abortMessages: Record<string, number> = {};
  const sample = sampler(samplers, fleet.config.link.role);
  const diag =
    diagnosis && diagnose(diagnosis.servers, diagnosis.poolers, fleet.config.link.role, diagnosis.postmasters, diagnosis.poolerPids);
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    sessions.map(async ({ caller, client }) => {
      while (performance.now() < end && !signal?.aborted) {
        const t0 = performance.now();
        try {
          await call(caller, client);
          latencies.push(performance.now() - t0);
        } catch (error) {
          const code = (error as { code?: string }).code ?? 'other';
          if (op === 'floor-fdw') await client.query('ROLLBACK').catch(() => undefined);
          if (code === '40001') {
            aborts += 1;
            const message = abortMessage(error);
            abortMessages[message] = (abortMessages[message] ?? 0) + 1;
          } else errors[code] = (errors[code] ?? 0) + 1;
        }
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  const seen = await sample.stop();
  for (const [i, rows] of gates.entries()) {
    await samplers[i]!.query('DELETE FROM residency.write_gate');
    for (const g of rows) await samplers[i]!.query('INSERT INTO residency.write_gate (region, slots) VALUES ($1, $2)', [g.region, g.slots]);
  }
  if (diag) diagnosis.report(formatDiagnosis(await diag.stop(), latencies.length));
  await Promise.all(sessions.map(({ client }) => client.end().catch(() => undefined)));
  latencies.sort((a, b) => a - b);
  return {
    regions: names.length,
    op,
    from,
    clientsPerRegion: perRegion,
    calls: latencies.length + aborts + Object.values(errors).reduce((a, b) => a + b, 0),
    perSecond: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    aborts,
    errors,
    abortMessages,
    linkSessions: seen.links,
    prepared: seen.prepared,
  };
}

/**
 * A new session's first write against its next ones, wall time and the CPU
 * the calling backend and its pooler spend (what the first write costs on an
 * idle machine, where the CPU is the extra time), split into its parts
 * measured apart in another new session: loading dblink and PL/pgSQL,
 * opening the links, the first write with its links already open; and the
 * WAN connections the first write opened.
 */
async function firstCall(fleet: ProxiedFleet, links: FirstCallLinks, runs: number, appPooler?: AppPooler): Promise<FirstCall> {
  const { names, write, session, timed, warmUp } = await firstWriteSessions(fleet, appPooler);
  const wanTotal = () => Object.values(fleet.counters()).reduce((n, x) => n + x.connections, 0);
  const m: Record<'first' | 'warm' | 'firstCpu' | 'warmCpu' | 'library' | 'links' | 'linksCpu' | 'openCpu', number[]> = {
    first: [],
    warm: [],
    firstCpu: [],
    warmCpu: [],
    library: [],
    links: [],
    linksCpu: [],
    openCpu: [],
  };
  let wan = 0;
  await warmUp();
  for (let i = 0; i < runs; i += 1) {
    const a = await session();
    const before = wanTotal();
    const first = await timed(a.pid, () => write(a.client));
    wan += wanTotal() - before;
    m.first.push(first.wall);
    m.firstCpu.push(first.cpu);
    for (let j = 0; j < 3; j += 1) {
      const warm = await timed(a.pid, () => write(a.client));
      m.warm.push(warm.wall);
      m.warmCpu.push(warm.cpu);
    }
    await a.client.end();
    // the parts, apart, in another new session
    const b = await session();
    m.library.push(
      (await timed(b.pid, () => b.client.query("SELECT residency_dblink.dblink_get_connections(), residency.connect_failures('{}')"))).cpu,
    );
    const open = await timed(b.pid, () => b.client.query('SELECT residency.connect_failures($1)', [names]));
    m.links.push(open.wall);
    m.linksCpu.push(open.cpu);
    m.openCpu.push((await timed(b.pid, () => write(b.client))).cpu);
    await b.client.end();
  }
  const median = (xs: number[]) =>
    percentile(
      [...xs].sort((a, b) => a - b),
      50,
    );
  return {
    regions: names.length,
    links,
    sessions: appPooler === undefined ? 'backend' : 'app-pooler',
    firstMs: median(m.first),
    warmMs: median(m.warm),
    firstCpuMs: median(m.firstCpu),
    warmCpuMs: median(m.warmCpu),
    libraryCpuMs: median(m.library),
    linksCpuMs: median(m.linksCpu),
    linksMs: median(m.links),
    compileCpuMs: median(m.openCpu) - median(m.warmCpu),
    wanConnects: wan / runs,
  };
}

/**
 * The load suite (issue 20): on fleets of each count, with a link pooler
 * beside every region and a delay proxy in front of every server, fresh-key
 * writes (`upsert_identity`) and the hand-written postgres_fdw transaction,
 * from one region and from all, at each concurrency: throughput, latency
 * percentiles, false aborts (40001), the most link sessions and prepared
 * transactions one region held; and a new session's first write.
 */
export async function benchLoad(options: LoadOptions): Promise<LoadResult> {
  const cells: LoadCell[] = [];
  const firstCalls: FirstCall[] = [];
  const failures: string[] = [];
  const counts = [...new Set([...options.counts, ...options.firstCallCounts])].sort((a, b) => a - b);
  for (const count of counts) {
    for (const links of ['pooler', 'pooler-plain', 'direct'] as const) {
      const loaded = links === 'pooler' && options.counts.includes(count);
      if (!loaded && !options.firstCallCounts.includes(count)) continue;
      options.onProgress?.(
        `load: ${count} regions, ${links === 'direct' ? 'no pooler' : `pool size ${options.poolSize}${links === 'pooler-plain' ? ', plain TCP to it' : ''}`}`,
      );
      const fleet = await startProxiedFleet({
        regions: regionFleet(count),
        delayMs: options.delayMs,
        ...(links === 'direct'
          ? {}
          : {
              pooler: {
                poolSize: options.poolSize,
                ...(options.writesInFlight === undefined ? {} : { writesInFlight: options.writesInFlight }),
                ...(links === 'pooler-plain' ? { sslmode: 'disable' } : {}),
              },
            }),
      });
      try {
        if (options.firstCallCounts.includes(count)) {
          // measured on a settled machine (the fleet's start written back, the load average under 1.5, at most 90 s)
          await settle('load', (text) => options.onProgress?.(text));
          const first = await firstCall(fleet, links, 5);
          const report = (f: FirstCall) =>
            options.onProgress?.(
              `load: ${count} regions, ${links}${f.sessions === 'app-pooler' ? ', sessions through an application pooler' : ''}: first write ${f.firstMs.toFixed(1)} ms (CPU ${f.firstCpuMs.toFixed(1)}), warm ${f.warmMs.toFixed(1)} ms (CPU ${f.warmCpuMs.toFixed(1)}), links ${f.linksMs.toFixed(1)} ms (CPU ${f.linksCpuMs.toFixed(1)}), libraries CPU ${f.libraryCpuMs.toFixed(1)}, compile CPU ${f.compileCpuMs.toFixed(1)}`,
            );
          report(first);
          firstCalls.push(first);
          if (links === 'pooler-plain') {
            // the same fleet, the application's sessions through a PgBouncer of their own in transaction mode
            const app = await startFleetAppPooler(fleet);
            try {
              const pooled = await firstCall(fleet, links, 5, app);
              report(pooled);
              firstCalls.push(pooled);
            } finally {
              await app.stop();
            }
          }
        }
        if (!loaded) continue;
        await prepareFloor(fleet);
        const samplers = await Promise.all(fleet.config.regions.map((r) => fleet.client(r.name)));
        const diagnosis = options.diagnose
          ? {
              // (own connections: the sampler above shares none with them)
              servers: await Promise.all(fleet.config.regions.map((r) => fleet.client(r.name))),
              poolers: (
                await Promise.all(fleet.config.regions.map(async (r) => ({ region: r.name, client: await fleet.poolerConsole(r.name) })))
              ).flatMap((p) => (p.client === undefined ? [] : [{ region: p.region, client: p.client }])),
              postmasters: new Set(await Promise.all(samplers.map((c) => postmasterPid(c)))),
              poolerPids: new Set(
                (await Promise.all(fleet.config.regions.map((r) => fleet.poolerPid(r.name)))).filter((p): p is number => p !== undefined),
              ),
            }
          : undefined;
        let ran = 0;
        const ops = options.ops ?? (['upsert', 'floor-fdw'] as const);
        const pause = options.pauseSeconds ?? 0;
        for (const clients of options.clients) {
          for (const from of options.from ?? (['one', 'all'] as const)) {
            const runs = from === 'all' && clients === Math.max(...options.clients) ? Math.max(1, options.pairs ?? 1) : 1;
            const done = new Map<LoadOp, LoadCell[]>(ops.map((op) => [op, []]));
            for (const op of Array.from({ length: runs }, () => ops).flat()) {
              if (options.signal?.aborted) throw options.signal.reason as Error;
              if (pause > 0 && ran > 0) await sleep(pause * 1000, undefined, { signal: options.signal });
              ran += 1;
              const cell = await runCell(
                fleet,
                op,
                from,
                clients,
                options.seconds,
                samplers,
                options.signal,
                diagnosis && {
                  ...diagnosis,
                  report: (lines) => lines.forEach((l) => options.onProgress?.(`load:   ${op} ${from} x${clients}: ${l}`)),
                },
              );
              options.onProgress?.(
                `load: ${count} regions, ${op} from ${from}, ${clients}/region: ${cell.perSecond.toFixed(0)}/s p50 ${cell.p50.toFixed(1)} p99 ${cell.p99.toFixed(1)} aborts ${cell.aborts} errors ${JSON.stringify(cell.errors)} links ${cell.linkSessions} prepared ${cell.prepared}`,
              );
              for (const [message, n] of Object.entries(cell.abortMessages)) options.onProgress?.(`load:   40001 x${n}: ${message}`);
              for (const [code, n] of Object.entries(cell.errors))
                failures.push(`${count} regions ${op} from ${from} x${clients}: ${n} x ${code}`);
              done.get(op)!.push(cell);
            }
            for (const op of ops) cells.push(mergeRuns(done.get(op)!));
          }
        }
      } finally {
        await fleet.stop();
      }
    }
  }
  return { delayMs: options.delayMs, poolSize: options.poolSize, seconds: options.seconds, cells, firstCalls, failures };
}
