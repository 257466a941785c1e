import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { devDown } from '../cluster/devDown.js';
import { devEnv } from '../cluster/devSecrets.js';
import { devUp } from '../cluster/devUp.js';
import { parseConfig } from '../config/parseConfig.js';
import type { Config } from '../config/types.js';
import { migrateFleet } from '../migrate/migrateFleet.js';
import { genMigrations } from '../render/genMigrations.js';
import { loadTemplates } from '../render/loadTemplates.js';
import { nodeGeneratedFs } from '../render/nodeGeneratedFs.js';
import { startDelayProxy, type DelayProxy, type ProxyCounters } from './delayProxy.js';
import { freePort } from './freePort.js';
import { proxiedFleetYaml, type BenchRegion } from './proxiedFleetYaml.js';

export interface ProxiedFleet {
  readonly config: Config;
  /** The real server port of each region. */
  readonly ports: Readonly<Record<string, number>>;
  /** The one-way delay each proxy adds. */
  readonly delayMs: number;
  /** A new direct connection (no proxy) to a region, as the superuser; closed by stop(). */
  client(region: string): Promise<pg.Client>;
  /** Counters of the proxy in front of each region, i.e. the postgres_fdw traffic that region receives. */
  counters(): Record<string, ProxyCounters>;
  /** The request bursts the proxy in front of `region` saw from round trip `from` on; see {@link DelayProxy.trace}. */
  trace(region: string, from: number): string[];
  /** Closes clients, stops the servers, deletes the temporary folder and closes the proxies. Safe to call twice. */
  stop(): Promise<void>;
}

export interface ProxiedFleetOptions {
  readonly regions: readonly BenchRegion[];
  readonly delayMs: number;
}

/**
 * Starts one PostgreSQL server per region in a temporary folder, a delay proxy
 * in front of each, generates migrations whose foreign servers point at the
 * proxies, and applies them. Whatever was started is stopped again when
 * starting fails.
 */
export async function startProxiedFleet(options: ProxiedFleetOptions): Promise<ProxiedFleet> {
  const root = mkdtempSync(join(tmpdir(), 'rsd-bench-'));
  chmodSync(root, 0o755); // the postgres OS user must reach the data directories
  const stateDir = join(root, 'state');
  const dir = join(root, 'generated');
  const proxies: Record<string, DelayProxy> = {};
  const ports: Record<string, number> = {};
  const open: pg.Client[] = [];
  let config: Config | undefined;
  let env: Record<string, string> = {};
  let stopped: Promise<void> | undefined;

  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      await Promise.all(open.map((c) => c.end().catch(() => undefined)));
      if (config !== undefined) await devDown(config, { stateDir, purge: true });
      await Promise.all(Object.values(proxies).map((p) => p.close()));
      rmSync(root, { recursive: true, force: true });
    })());

  try {
    for (const r of options.regions) {
      ports[r.name] = await freePort();
      proxies[r.name] = await startDelayProxy({ targetHost: '127.0.0.1', targetPort: ports[r.name]!, delayMs: options.delayMs });
    }
    const proxyPorts = Object.fromEntries(Object.entries(proxies).map(([name, p]) => [name, p.port]));
    const parsed = parseConfig(proxiedFleetYaml(options.regions, ports, proxyPorts), 'bench regions.yaml', {});
    config = parsed;
    const up = await devUp(parsed, { stateDir, env: {} });
    const failed = up.find((r) => r.error);
    if (failed) throw failed.error;
    env = await devEnv(stateDir, {});
    await genMigrations({ config: parsed, templates: await loadTemplates(), outDir: dir, check: false, force: false, fs: nodeGeneratedFs });
    const results = await migrateFleet({ config: parsed, regions: [], all: true, direction: 'up', dir, env, dryRun: false });
    const error = results.find((r) => r.error)?.error;
    if (error) throw error;
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    config,
    ports,
    delayMs: options.delayMs,
    async client(region) {
      const client = new pg.Client({ host: '127.0.0.1', port: ports[region], user: 'postgres', password: env.PGPASSWORD, database: 'residency' });
      client.on('error', () => undefined);
      await client.connect();
      open.push(client);
      return client;
    },
    counters: () => Object.fromEntries(Object.entries(proxies).map(([name, p]) => [name, p.counters()])),
    trace: (region, from) => proxies[region]?.trace(from) ?? [],
    stop,
  };
}
