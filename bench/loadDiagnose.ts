import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpuMs as processCpuMs } from './processCpu.js';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';

/**
 * What one load cell spent and waited on (`BENCH_LOAD_DIAGNOSE=1`): CPU by
 * process kind (/proc/<pid>/schedstat: the application's backends, the link
 * backends, the poolers, other postgres processes, this node process with its
 * delay proxies), and sampled every 100 ms on every server what the backends
 * were doing (pg_stat_activity state and wait event, by role) and on every
 * pooler its queue (SHOW POOLS: clients waiting, server connections active).
 */
export interface LoadDiagnosis {
  readonly seconds: number;
  /** CPU ms by process kind over the cell. */
  readonly cpuMs: Readonly<Record<string, number>>;
  /** Mean count per sample of backends by "role state/wait_event", over all servers. */
  readonly activity: Readonly<Record<string, number>>;
  /** Mean per sample, per pool ("pooler's region->target region"): clients waiting, server connections active and idle; max wait seen (ms). */
  readonly pools: Readonly<Record<string, { clWaiting: number; svActive: number; svIdle: number; maxWaitMs: number }>>;
}

/** The fleet's processes (children of its postmasters, and its poolers) by kind, with the CPU ms each ran so far. */
function processKinds(
  linkRole: string,
  postmasters: ReadonlySet<number>,
  poolerPids: ReadonlySet<number>,
): Map<number, { kind: string; cpu: number }> {
  const out = new Map<number, { kind: string; cpu: number }>();
  let text: string;
  try {
    text = execFileSync('ps', ['-e', '-o', 'pid=,ppid=,args='], { encoding: 'utf8' });
  } catch {
    return out;
  }
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line);
    if (m === null) continue;
    const pid = Number(m[1]);
    if (!postmasters.has(Number(m[2])) && !poolerPids.has(pid)) continue;
    const args = m[3]!;
    const kind = poolerPids.has(pid)
      ? 'pooler'
      : args.startsWith(`postgres: ${linkRole} `)
        ? 'link backend'
        : args.startsWith('postgres: postgres ')
          ? 'app backend'
          : 'postgres other';
    try {
      out.set(pid, { kind, cpu: processCpuMs(pid) });
    } catch {
      // gone
    }
  }
  return out;
}

/** The postmaster's pid of the server `client` is connected to (its data directory's postmaster.pid). */
export async function postmasterPid(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ d: string }>('SELECT current_setting($1) AS d', ['data_directory']);
  return Number(readFileSync(`${rows[0]!.d}/postmaster.pid`, 'utf8').split('\n')[0]);
}

/** Starts sampling; stop() returns the cell's diagnosis. */
export function diagnose(
  servers: readonly pg.Client[],
  poolers: readonly { readonly region: string; readonly client: pg.Client }[],
  linkRole: string,
  postmasters: ReadonlySet<number>,
  poolerPids: ReadonlySet<number>,
): { stop: () => Promise<LoadDiagnosis> } {
  const before = processKinds(linkRole, postmasters, poolerPids);
  const node0 = process.cpuUsage();
  const t0 = Date.now();
  let running = true;
  let samples = 0;
  const activity: Record<string, number> = {};
  const pools: Record<string, { clWaiting: number; svActive: number; svIdle: number; maxWaitMs: number }> = {};
  let poolSamples = 0;
  const loop = (async () => {
    while (running) {
      samples += 1;
      for (const c of servers) {
        const { rows } = await c.query<{ k: string; n: number }>(
          `SELECT CASE WHEN usename = $1 THEN 'link' ELSE 'app' END || ' ' || state || '/' || COALESCE(wait_event, 'cpu')
               -- a loopback's transaction: after its first message (tx_open) or a later one (tx_finish's part)
               || CASE WHEN usename = $1 AND state = 'idle in transaction' THEN CASE WHEN query LIKE 'BEGIN%' THEN ' after BEGIN' ELSE ' after part' END ELSE '' END AS k,
             count(*)::int AS n
             FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND state IS NOT NULL GROUP BY 1`,
          [linkRole],
        );
        for (const r of rows) activity[r.k] = (activity[r.k] ?? 0) + r.n;
      }
      if (poolers.length > 0) poolSamples += 1;
      for (const p of poolers) {
        const { rows } = await p.client.query<Record<string, string>>('SHOW POOLS');
        for (const r of rows) {
          if (r.database === 'pgbouncer') continue;
          const x = (pools[`${p.region}->${r.database!}`] ??= { clWaiting: 0, svActive: 0, svIdle: 0, maxWaitMs: 0 });
          x.clWaiting += Number(r.cl_waiting);
          x.svActive += Number(r.sv_active);
          x.svIdle += Number(r.sv_idle);
          x.maxWaitMs = Math.max(x.maxWaitMs, Number(r.maxwait) * 1000 + Number(r.maxwait_us) / 1000);
        }
      }
      await sleep(100);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      const after = processKinds(linkRole, postmasters, poolerPids);
      const cpuMs: Record<string, number> = {};
      for (const [pid, a] of after) cpuMs[a.kind] = (cpuMs[a.kind] ?? 0) + a.cpu - (before.get(pid)?.cpu ?? 0);
      const node = process.cpuUsage(node0);
      cpuMs['node (clients, proxies)'] = (node.user + node.system) / 1000;
      return {
        seconds: (Date.now() - t0) / 1000,
        cpuMs,
        activity: Object.fromEntries(
          Object.entries(activity)
            .map(([k, n]) => [k, n / samples] as const)
            .sort((a, b) => b[1] - a[1]),
        ),
        pools: Object.fromEntries(
          Object.entries(pools).map(([k, x]) => [
            k,
            {
              clWaiting: x.clWaiting / poolSamples,
              svActive: x.svActive / poolSamples,
              svIdle: x.svIdle / poolSamples,
              maxWaitMs: x.maxWaitMs,
            },
          ]),
        ),
      };
    },
  };
}

/** The diagnosis as a few lines: CPU per write by kind, what backends did, the pools' queues. */
export function formatDiagnosis(d: LoadDiagnosis, writes: number): string[] {
  const total = Object.values(d.cpuMs).reduce((a, b) => a + b, 0);
  return [
    `CPU ${(total / 1000 / d.seconds).toFixed(2)} cores over ${d.seconds.toFixed(1)} s, ms per call: ` +
      Object.entries(d.cpuMs)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${(v / Math.max(1, writes)).toFixed(2)}`)
        .join(', '),
    'backends (mean over samples, all servers): ' +
      Object.entries(d.activity)
        .filter(([, n]) => n >= 0.1)
        .map(([k, n]) => `${k} ${n.toFixed(1)}`)
        .join(', '),
    'pools (mean; pooler->target): ' +
      Object.entries(d.pools)
        .map(
          ([k, x]) =>
            `${k} waiting ${x.clWaiting.toFixed(1)} active ${x.svActive.toFixed(1)} idle ${x.svIdle.toFixed(1)} maxwait ${x.maxWaitMs.toFixed(0)} ms`,
        )
        .join('; '),
  ];
}
