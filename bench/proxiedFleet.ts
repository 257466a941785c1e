import pg from 'pg';
import { freePort } from '../test/helpers/freePort.js';
import { startScratchFleet, type ScratchRegion } from '../test/helpers/scratchFleet.js';
import type { Config } from '../src/config/types.js';
import { ident, literal } from '../src/sql/quote.js';
import { startDelayProxy, type DelayProxy, type ProxyCounters } from './delayProxy.js';
import { runningPooler, startDevPooler, stopDevPooler } from '../src/cluster/devPooler.js';
import { serverUser } from '../src/cluster/serverUser.js';

export type BenchRegion = ScratchRegion;

export interface ProxiedFleet {
  readonly config: Config;
  /** The real server port of each region. */
  readonly ports: Readonly<Record<string, number>>;
  /** The one-way delay each proxy adds. */
  readonly delayMs: number;
  /** A new direct connection (no proxy) to a region, as the superuser; closed by stop(). */
  client(region: string): Promise<pg.Client>;
  /** The superuser's password (a scratch fleet's, random), for a client the bench starts itself. */
  readonly superuserPassword: string;
  /** A new connection to a region through its proxy (paying the delay, counted), as the superuser; closed by stop(). */
  proxiedClient(region: string): Promise<pg.Client>;
  /** The pid of the link pooler beside `region`, when the fleet has poolers and it runs. */
  poolerPid(region: string): Promise<number | undefined>;
  /** A new connection to the console of the link pooler beside `region` (as the link role; SHOW POOLS), closed by stop(); undefined without poolers. */
  poolerConsole(region: string): Promise<pg.Client | undefined>;
  /** Counters of the proxy in front of each region, i.e. the postgres_fdw traffic that region receives. */
  counters(): Record<string, ProxyCounters>;
  /** The request bursts the proxy in front of `region` saw from round trip `from` on; see {@link DelayProxy.trace}. */
  trace(region: string, from: number): string[];
  /** As {@link trace}, with the time each round trip left the caller (performance.now(), ms). */
  timedTrace(region: string, from: number): { readonly atMs: number; readonly label: string }[];
  /** Closes clients, stops the servers, deletes the temporary folder and closes the proxies. Safe to call twice. */
  stop(): Promise<void>;
}

export interface ProxiedFleetOptions {
  readonly regions: readonly BenchRegion[];
  readonly delayMs: number;
  /** A link pooler (PgBouncer) beside every region, with this pool size; it reaches the other regions through their proxies. */
  readonly pooler?: { readonly poolSize: number; readonly sslmode?: string; readonly writesInFlight?: number };
  /** More top-level regions.yaml, e.g. `timeouts: {...}`. */
  readonly extra?: string;
}

/**
 * A scratch fleet with a delay proxy in front of each region: the foreign
 * servers point at the proxies, the benchmark client connects directly.
 * Whatever was started is stopped again when starting fails.
 */
export async function startProxiedFleet(options: ProxiedFleetOptions): Promise<ProxiedFleet> {
  const proxies: Record<string, DelayProxy> = {};
  const ports: Record<string, number> = {};
  const closeProxies = () => Promise.all(Object.values(proxies).map((p) => p.close()));
  try {
    for (const r of options.regions) {
      ports[r.name] = await freePort();
      proxies[r.name] = await startDelayProxy({ targetHost: '127.0.0.1', targetPort: ports[r.name]!, delayMs: options.delayMs });
    }
    const fdwPorts = Object.fromEntries(Object.entries(proxies).map(([name, p]) => [name, p.port]));
    const fleet = await startScratchFleet({
      regions: options.regions,
      ports,
      fdwPorts,
      unsafeFast: true,
      ...(options.pooler === undefined ? {} : { pooler: options.pooler }),
      ...(options.extra === undefined ? {} : { extra: options.extra }),
    });
    if (options.pooler !== undefined) {
      // each pooler reaches its own region on its own machine: restarted with
      // that region's real port, so only traffic between regions pays the delay
      const user = await serverUser();
      const password = fleet.env[fleet.config.link.passwordEnv]!;
      for (const r of fleet.config.regions) {
        const local = {
          ...fleet.config,
          regions: fleet.config.regions.map((x) => (x === r ? { ...x, fdw: { ...x.fdw, port: ports[r.name]! } } : x)),
        };
        await stopDevPooler(fleet.stateDir, r);
        await startDevPooler(local, r, fleet.stateDir, user, password);
      }
    }
    // A region reaches itself (the two-phase writes' loopback connection) on
    // its own machine: point its server for itself at the real port, so that
    // only traffic between regions pays the delay and is counted.
    for (const r of options.pooler === undefined ? options.regions : []) {
      const admin = await fleet.client(r.name);
      const { rows } = await admin.query<{ port: boolean }>(
        "SELECT 'port' = ANY (SELECT split_part(o, '=', 1) FROM unnest(srvoptions) o) AS port FROM pg_foreign_server WHERE srvname = $1",
        [r.name],
      );
      if (rows[0] !== undefined) {
        await admin.query(`ALTER SERVER ${ident(r.name)} OPTIONS (${rows[0].port ? 'SET' : 'ADD'} port ${literal(String(ports[r.name]))})`);
      }
      await admin.end();
    }
    let stopped: Promise<void> | undefined;
    const proxied: pg.Client[] = [];
    return {
      config: fleet.config,
      ports,
      delayMs: options.delayMs,
      client: (region) => fleet.client(region),
      superuserPassword: fleet.env.PGPASSWORD!,
      async proxiedClient(region) {
        const client = new pg.Client({
          host: '127.0.0.1',
          port: proxies[region]!.port,
          user: 'postgres',
          password: fleet.env.PGPASSWORD,
          database: 'residency',
        });
        client.on('error', () => undefined);
        await client.connect();
        proxied.push(client);
        return client;
      },
      poolerPid: async (region) => {
        const r = fleet.config.regions.find((x) => x.name === region);
        return r?.pooler === undefined ? undefined : runningPooler(fleet.stateDir, r);
      },
      async poolerConsole(region) {
        const pooler = fleet.config.regions.find((x) => x.name === region)?.pooler;
        if (pooler === undefined) return undefined;
        const client = new pg.Client({
          host: pooler.host,
          port: pooler.port,
          user: fleet.config.link.role,
          password: fleet.env[fleet.config.link.passwordEnv],
          database: 'pgbouncer',
          ...(pooler.sslmode === 'disable' ? {} : { ssl: { rejectUnauthorized: false } }),
        });
        client.on('error', () => undefined);
        await client.connect();
        proxied.push(client);
        return client;
      },
      counters: () => Object.fromEntries(Object.entries(proxies).map(([name, p]) => [name, p.counters()])),
      trace: (region, from) => proxies[region]?.trace(from) ?? [],
      timedTrace: (region, from) => proxies[region]?.timedTrace(from) ?? [],
      stop: () =>
        (stopped ??= Promise.all(proxied.map((c) => c.end().catch(() => undefined)))
          .then(() => fleet.stop())
          .then(async () => void (await closeProxies()))),
    };
  } catch (error) {
    await closeProxies();
    throw error;
  }
}
