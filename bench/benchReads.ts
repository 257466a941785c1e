import { createHash } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { settle } from './settle.js';
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import { ident, literal } from '../src/sql/quote.js';
import { MEASURED_CALLS, WARMUP_CALLS } from './formatReads.js';
import { median } from './median.js';
import { startProxiedFleet, type ProxiedFleet } from './proxiedFleet.js';
import { readOperations, type ReadOperation } from './readOperations.js';
import { regionFleet } from './regionFleets.js';
import { roundTripWaves } from './roundTripWaves.js';

/** One read measured from one calling region. */
export interface ReadFigure {
  readonly id: string;
  readonly label: string;
  readonly regions: number;
  readonly from: string;
  readonly major: number;
  readonly n: number;
  readonly medianMs: number;
  /** The same question on one local database holding the whole fleet (the caller's `bench_local`). */
  readonly localMs: number;
  /** Floor A from this caller: one round trip to every other region at once. */
  readonly floorMs: number;
  /** Round trips the busiest other region received (the sequential depth), and all of them together. */
  readonly maxRoundTrips: number;
  readonly roundTrips: number;
  /** Round trips that follow one another (see roundTripWaves.ts): the read's depth in round trips, median over runs. */
  readonly sequentialRoundTrips?: number;
  /** Bytes the other regions sent (to the caller's region), median over runs. */
  readonly bytesReceived: number;
}

export interface ReadsResult {
  readonly delayMs: number;
  readonly peoplePerRegion: number;
  readonly loadMs: number;
  readonly servers: readonly string[];
  readonly figures: readonly ReadFigure[];
  readonly skipped: readonly { readonly id: string; readonly from: string; readonly why: string }[];
  readonly failures: readonly { readonly id: string; readonly from: string; readonly message: string }[];
  /** The machine's cores and its 1-minute load average when the suite started and ended (other work skews the figures). */
  readonly machine?: { readonly cores: number; readonly loadStart: number; readonly loadEnd: number };
}

export interface ReadsInput {
  readonly regions: number;
  readonly peoplePerRegion: number;
  readonly delayMs: number;
  /** The calling regions (names of regionFleet's list). */
  readonly callers: readonly string[];
  /** Only these reads of readOperations.ts (by id); all when absent. */
  readonly only?: readonly string[];
  readonly signal?: AbortSignal;
  readonly onProgress?: (text: string) => void;
}

/** The key of person `i` of `region`, as the load's SQL computes it (`md5(region || ':' || i)::uuid`). */
export function benchKey(region: string, i: number): string {
  const h = createHash('md5').update(`${region}:${i}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const DIRECTORY_ROWS = `SELECT md5(r.name || ':' || i)::uuid, r.name, CASE WHEN i % 10 = 0 THEN 'vip' ELSE 'n' || (i % 100) END,
  '2020-01-01'::timestamptz + i * interval '1 minute' FROM unnest($1::text[]) r(name), generate_series(1, $2::integer) i`;
const DETAIL_ROWS = `SELECT md5(r.name || ':' || i)::uuid, r.name, 'Person ' || r.name || ' ' || i
  FROM unnest($1::text[]) r(name), generate_series(1, $2::integer) i`;

/**
 * Loads `perRegion` people per region straight into the tables (the
 * directory in every region, each leaf in its owner), and, in each caller, a
 * `bench_local` copy of the whole fleet in plain local tables: the "one local
 * database" the reads are compared with.
 */
async function load(clients: Record<string, pg.Client>, regions: readonly string[], callers: readonly string[], perRegion: number) {
  await Promise.all(
    regions.map(async (r) => {
      const c = clients[r]!;
      await c.query(`INSERT INTO shared.identity (uuid, region, note, created_on) ${DIRECTORY_ROWS}`, [regions, perRegion]);
      await c.query(`INSERT INTO ${ident(r)}.identity_details (uuid, region, name) ${DETAIL_ROWS}`, [[r], perRegion]);
      await c.query(`VACUUM ANALYZE shared.identity`);
      await c.query(`VACUUM ANALYZE ${ident(r)}.identity_details`);
      if (!callers.includes(r)) return;
      await c.query(`CREATE SCHEMA bench_local;
        CREATE TABLE bench_local.identity (uuid uuid PRIMARY KEY, region text NOT NULL, note text, created_on timestamptz NOT NULL);
        CREATE TABLE bench_local.identity_details (uuid uuid PRIMARY KEY, region text NOT NULL, name text)`);
      await c.query(`INSERT INTO bench_local.identity ${DIRECTORY_ROWS}`, [regions, perRegion]);
      await c.query(`INSERT INTO bench_local.identity_details ${DETAIL_ROWS}`, [regions, perRegion]);
      await c.query('VACUUM ANALYZE bench_local.identity');
      await c.query('VACUUM ANALYZE bench_local.identity_details');
    }),
  );
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

/**
 * The read suite (issue 21): a proxied fleet of `regions` regions
 * (regionFleets.ts), `peoplePerRegion` people each, every read of
 * readOperations.ts from each caller, with floor A and the local database.
 */
export async function benchReads(input: ReadsInput): Promise<ReadsResult> {
  const progress = input.onProgress ?? (() => undefined);
  const fleetRegions = regionFleet(input.regions);
  const names = fleetRegions.map((r) => r.name);
  progress(`reads: starting ${fleetRegions.map((r) => `${r.name} (${r.postgres})`).join(', ')}`);
  const fleet: ProxiedFleet = await startProxiedFleet({ regions: fleetRegions, delayMs: input.delayMs });
  const figures: ReadFigure[] = [];
  const skipped: { id: string; from: string; why: string }[] = [];
  const failures: { id: string; from: string; message: string }[] = [];
  try {
    const clients: Record<string, pg.Client> = {};
    const servers: string[] = [];
    for (const r of names) {
      clients[r] = await fleet.client(r);
      const [row] = (await clients[r].query<{ server_version: string }>('SHOW server_version')).rows;
      servers.push(`${r} ${row?.server_version ?? '?'}`);
    }
    progress(`reads: loading ${input.peoplePerRegion.toLocaleString('en-US')} people per region`);
    const loadMs = await timed(() => load(clients, names, input.callers, input.peoplePerRegion));
    progress(`reads: loaded in ${(loadMs / 1000).toFixed(1)} s`);
    // measured on a settled machine: the load written back, the load average under 1.5 (at most 90 s)
    await settle('reads', progress);
    const loadStart = loadavg()[0] ?? 0;
    // 100 keys spread over the fleet
    const keys = Array.from({ length: 100 }, (_, i) => benchKey(names[i % names.length]!, 1 + ((i * 7919) % input.peoplePerRegion)));

    for (const caller of input.callers) {
      const major = fleetRegions.find((r) => r.name === caller)!.postgres;
      const c = clients[caller]!;
      const remotes = names.filter((r) => r !== caller);
      const proxied = await Promise.all(remotes.map((r) => fleet.proxiedClient(r)));
      const floorRuns: number[] = [];
      for (let i = 0; i < 17; i++) {
        const ms = await timed(() => Promise.all(proxied.map((p) => p.query('SELECT 1'))));
        if (i >= 2) floorRuns.push(ms);
      }
      const floorMs = median(floorRuns);
      progress(`reads: from ${caller} (${major}): floor A ${floorMs.toFixed(1)} ms`);
      const other = remotes[0]!;
      for (const op of readOperations(other)) {
        input.signal?.throwIfAborted();
        if (input.only !== undefined && !input.only.includes(op.id)) continue;
        if (op.minMajor !== undefined && major < op.minMajor) {
          skipped.push({ id: op.id, from: caller, why: `needs PostgreSQL ${op.minMajor}+` });
          continue;
        }
        try {
          figures.push(await measure(fleet, c, caller, remotes, op, keys, { regions: names.length, major, floorMs }));
          const f = figures[figures.length - 1]!;
          progress(`reads: from ${caller}: ${op.id} ${f.medianMs.toFixed(1)} ms (${(f.medianMs / floorMs).toFixed(1)}x A)`);
        } catch (error) {
          if (input.signal?.aborted) throw error;
          failures.push({ id: op.id, from: caller, message: error instanceof Error ? error.message : String(error) });
          progress(`reads: from ${caller}: ${op.id} failed: ${failures[failures.length - 1]!.message}`);
        }
      }
    }
    return {
      delayMs: input.delayMs,
      peoplePerRegion: input.peoplePerRegion,
      loadMs,
      servers,
      figures,
      skipped,
      failures,
      machine: { cores: cpus().length, loadStart, loadEnd: loadavg()[0] ?? 0 },
    };
  } finally {
    await fleet.stop();
  }
}

async function measure(
  fleet: ProxiedFleet,
  c: pg.Client,
  caller: string,
  remotes: readonly string[],
  op: ReadOperation,
  keys: readonly string[],
  at: { regions: number; major: number; floorMs: number },
): Promise<ReadFigure> {
  const params = op.takesKeys ? [keys] : [];
  // (a session's waits learn when each region answers over its first calls of a
  // shape: a read of the steady state is measured after 8 of them)
  const warmup = op.slow ? 1 : WARMUP_CALLS;
  const runs = op.slow ? 3 : MEASURED_CALLS;
  const times: number[] = [];
  const trips: number[] = [];
  const maxTrips: number[] = [];
  const bytes: number[] = [];
  const waves: number[] = [];
  for (const [name, value] of Object.entries(op.settings ?? {})) await c.query(`SET ${ident(name)} = '${value}'`);
  const restore: string[] = [];
  try {
    for (const [name, value] of Object.entries(op.serverOptions ?? {})) {
      for (const r of remotes) {
        const { rows } = await c.query<{ value: string }>(
          "SELECT substr(o, strpos(o, '=') + 1) AS value FROM pg_foreign_server s, unnest(s.srvoptions) o WHERE s.srvname = $1 AND split_part(o, '=', 1) = $2",
          [r, name],
        );
        const old = rows[0]?.value;
        await c.query(`ALTER SERVER ${ident(r)} OPTIONS (${old === undefined ? 'ADD' : 'SET'} ${ident(name)} ${literal(value)})`);
        restore.push(
          `ALTER SERVER ${ident(r)} OPTIONS (${old === undefined ? `DROP ${ident(name)}` : `SET ${ident(name)} ${literal(old)}`})`,
        );
      }
    }
    for (let i = 0; i < warmup + runs; i++) {
      const before = fleet.counters();
      const start = performance.now();
      const result = await c.query(op.sql, params);
      const ms = performance.now() - start;
      const after = fleet.counters();
      const expected = op.rows?.(at.regions);
      if (expected !== undefined && result.rows.length !== expected)
        throw new Error(`${op.id} returned ${result.rows.length} rows, expected ${expected}`);
      if (i < warmup) continue;
      times.push(ms);
      const perRegion = remotes.map((r) => after[r]!.roundTrips - before[r]!.roundTrips);
      trips.push(perRegion.reduce((a, b) => a + b, 0));
      maxTrips.push(Math.max(...perRegion));
      const sent = remotes.flatMap((r) => fleet.timedTrace(r, before[r]!.roundTrips).map((x) => x.atMs));
      waves.push(roundTripWaves(sent, fleet.delayMs));
      bytes.push(remotes.reduce((sum, r) => sum + after[r]!.bytesToClient - before[r]!.bytesToClient, 0));
    }
  } finally {
    for (const name of Object.keys(op.settings ?? {})) await c.query(`RESET ${ident(name)}`);
    for (const sql of restore) await c.query(sql);
  }
  const local: number[] = [];
  for (let i = 0; i < warmup + runs; i++) {
    const ms = await timed(() => c.query(op.localSql, params));
    if (i >= warmup) local.push(ms);
  }
  return {
    id: op.id,
    label: op.label,
    regions: at.regions,
    from: caller,
    major: at.major,
    n: runs,
    medianMs: median(times),
    localMs: median(local),
    floorMs: at.floorMs,
    maxRoundTrips: median(maxTrips),
    roundTrips: median(trips),
    sequentialRoundTrips: median(waves),
    bytesReceived: median(bytes),
  };
}
