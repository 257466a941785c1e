import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import { startAppPooler, type AppPooler } from '../test/helpers/appPooler.js';
import { cpuOf } from './processCpu.js';
import type { ProxiedFleet } from './proxiedFleet.js';

/**
 * What both first-write measurements (the load suite's firstCall, bench/firstWrite.ts)
 * do on a proxied fleet: new sessions in its first region, straight to the
 * server or through `appPooler`, each writing a new key owned by the second
 * region; a piece of work's wall time and the CPU of the session's backend,
 * the link pooler beside it and the application pooler.
 */
export async function firstWriteSessions(fleet: ProxiedFleet, appPooler?: AppPooler) {
  const names = fleet.config.regions.map((r) => r.name);
  const linkPooler = await fleet.poolerPid(names[0]!);
  const write = (c: pg.Client) => c.query('SELECT shared.upsert_identity($1, $2, $3, $4)', [randomUUID(), 'first', names[1], 'first']);
  /** A new session and the server backend it runs on (through an application pooler: the one its transactions use, one after another on an idle pool). */
  const session = async () => {
    const client = appPooler === undefined ? await fleet.client(names[0]!) : await appPooler.connect('postgres');
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    return { client, pid: rows[0]!.pid };
  };
  const cpuNow = (pid: number) => cpuOf(pid) + cpuOf(linkPooler) + cpuOf(appPooler?.pid);
  /** Wall and CPU ms of some work on the session of backend `pid`. */
  const timed = async (pid: number, work: () => Promise<unknown>) => {
    const cpu0 = cpuNow(pid);
    const t0 = performance.now();
    await work();
    return { wall: performance.now() - t0, cpu: cpuNow(pid) - cpu0 };
  };
  /** Two sessions that write once: the pools (or nothing, unpooled) and the servers' caches warm. */
  const warmUp = async () => {
    for (let i = 0; i < 2; i += 1) {
      const { client } = await session();
      await write(client);
      await client.end();
    }
  };
  return { names, write, session, timed, warmUp };
}

/** An application pooler in front of the fleet's first region (PgBouncer, transaction mode, pool_size 4) for the superuser's sessions. */
export function startFleetAppPooler(fleet: ProxiedFleet): Promise<AppPooler> {
  return startAppPooler({
    serverPort: fleet.ports[fleet.config.regions[0]!.name]!,
    users: { postgres: fleet.superuserPassword },
    poolSize: 4,
  });
}
