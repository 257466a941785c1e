// The bulk suite (issue 20), run by `npm run bench` and alone by `npm run bench:bulk`:
// upsert_identity_many of N new keys, then of the same N keys again (every
// key exists), on a mixed 3-region fleet (usa on 10, gbr on 11, aus on 18)
// with a delay proxy in front of every region; a few rounds, each of new keys
// on emptied tables, inserts and updates alternating, and their medians. Before each pass every
// region runs VACUUM ANALYZE and CHECKPOINT (untimed), so no pass pays for the
// one before it: without them the updates paid what the inserts left behind
// (the new rows' hint bits, their first statistics, writing their dirty pages
// out of the dev servers' 32 MB of shared buffers), which autovacuum and the
// checkpointer do in the background of a real fleet. Beside each wall time,
// the CPU the servers' backends spent on it (read from /proc: the machine is
// shared, and the CPU ratio moves less with the load of others than the wall ratio).
import { randomUUID } from 'node:crypto';
import { cpuMsIfAlive } from './processCpu.js';
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import { loadAverage } from './loadOptions.js';
import { startProxiedFleet } from './proxiedFleet.js';
import { MIXED_FLEET } from '../test/helpers/scratchFleet.js';
import { ident } from '../src/sql/quote.js';

/** What the bulk suite runs: `rounds` times `rows` new keys in calls of `batch` rows, inserted then updated. */
export interface BulkBenchOptions {
  readonly rows: number;
  readonly batch: number;
  readonly rounds: number;
  readonly delayMs: number;
  readonly onProgress: (text: string) => void;
}

/** One pass of the suite: every key written once. */
export interface BulkPass {
  readonly ms: number;
  /** CPU seconds of the three servers' backends during the pass; undefined where /proc is not readable. */
  readonly serverCpuS: number | undefined;
}

/** One round: new keys inserted, then the same keys updated. */
export interface BulkRound {
  readonly insert: BulkPass;
  readonly update: BulkPass;
}

/** The bulk suite's figures. */
export interface BulkResult {
  readonly rows: number;
  readonly batch: number;
  readonly delayMs: number;
  /** In the order run. */
  readonly rounds: readonly BulkRound[];
  /** Load averages (1, 5, 15 min) at the start and at the end. */
  readonly loadBefore: string;
  readonly loadAfter: string;
  /** Why a round failed, if one did: the rounds before it are kept, the rest not run. */
  readonly failure?: string;
}

/** The issue 20 target: updates of existing keys within this factor of inserting them. */
export const BULK_TARGET = 1.5;

/**
 * Runs the bulk suite on a scratch fleet (5 ms each way in `npm run bench`)
 * and returns its figures. The write's lock_timeout is 30 s, so a region's
 * part may take up to 30 s (the link timeout) before the write gives up.
 */
export async function benchBulk(options: BulkBenchOptions): Promise<BulkResult> {
  const { rows, batch } = options;
  const loadBefore = loadAverage();
  const fleet = await startProxiedFleet({ regions: MIXED_FLEET, delayMs: options.delayMs, extra: 'timeouts: { lock_timeout: 30s }' });
  try {
    const regions = MIXED_FLEET.map((r) => r.name);
    const admins = new Map<string, pg.Client>();
    for (const r of regions) admins.set(r, await fleet.client(r));
    // every backend of the three servers (the caller's, the loopback's, the links'), by pid
    // (a backend gone meanwhile is left out)
    const backendCpu = async (): Promise<Map<number, number> | undefined> => {
      if (cpuMsIfAlive(process.pid) === undefined) return undefined;
      const out = new Map<number, number>();
      for (const admin of admins.values()) {
        const { rows: pids } = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE pid <> pg_backend_pid()');
        for (const { pid } of pids) {
          const ms = cpuMsIfAlive(pid);
          if (ms !== undefined) out.set(pid, ms / 1000);
        }
      }
      return out;
    };
    const client = await fleet.client('usa');
    await client.query("SET statement_timeout = '600s'");
    let keys: string[] = [];
    const pass = async (label: string, note: string): Promise<BulkPass> => {
      for (const admin of admins.values()) {
        await admin.query('VACUUM ANALYZE');
        await admin.query('CHECKPOINT');
      }
      const before = await backendCpu();
      const started = performance.now();
      for (let i = 0; i < rows; i += batch) {
        const chunk = keys.slice(i, i + batch).map((uuid, j) => ({ uuid, region: regions[(i + j) % 3], name: `Person ${i + j}`, note }));
        await client.query('SELECT count(*) FROM shared.upsert_identity_many($1)', [JSON.stringify(chunk)]);
      }
      const ms = performance.now() - started;
      const after = await backendCpu();
      const serverCpuS =
        before === undefined || after === undefined
          ? undefined
          : [...after].reduce((sum, [pid, cpu]) => sum + cpu - (before.get(pid) ?? 0), 0);
      options.onProgress(`bulk: ${label} of ${rows.toLocaleString('en')} keys in ${(ms / 1000).toFixed(1)} s`);
      return { ms, serverCpuS };
    };
    const rounds: BulkRound[] = [];
    for (let round = 1; round <= options.rounds; round += 1) {
      // every round on empty tables, as the first (a table grown by the rounds before is slower to write)
      if (round > 1) {
        for (const [region, admin] of admins) await admin.query(`TRUNCATE shared.identity, ${ident(region)}.identity_details`);
      }
      keys = Array.from({ length: rows }, () => randomUUID());
      let insert: BulkPass, update: BulkPass;
      try {
        insert = await pass(`round ${round}, insert`, `first ${round}`);
        update = await pass(`round ${round}, update`, `second ${round}`);
      } catch (error) {
        // reported with the rounds that completed, not lost with them
        const failure = `round ${round} failed: ${(error as Error).message}`;
        options.onProgress(`bulk: ${failure}`);
        return { rows, batch, delayMs: options.delayMs, rounds, loadBefore, loadAfter: loadAverage(), failure };
      }
      const [check] = (
        await client.query<{ n: number }>('SELECT count(*)::int AS n FROM shared.identity WHERE note = $1', [`second ${round}`])
      ).rows;
      if (check?.n !== rows) throw new Error(`bulk: ${check?.n ?? 0} of ${rows} directory rows updated in usa`);
      rounds.push({ insert, update });
    }
    return { rows, batch, delayMs: options.delayMs, rounds, loadBefore, loadAfter: loadAverage() };
  } finally {
    await fleet.stop();
  }
}
