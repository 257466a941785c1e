import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { parseConfig } from '../../src/config/parseConfig.js';
import type { Config } from '../../src/config/types.js';
import { migrateFleet, type MigrateInput, type RegionMigrateResult } from '../../src/migrate/migrateFleet.js';
import { genMigrations } from '../../src/render/genMigrations.js';
import { loadTemplates } from '../../src/render/loadTemplates.js';
import { nodeGeneratedFs } from '../../src/render/nodeGeneratedFs.js';
import { devDown } from '../../src/cluster/devDown.js';
import { devEnv } from '../../src/cluster/devSecrets.js';
import { devUp } from '../../src/cluster/devUp.js';
import { regionPaths } from '../../src/cluster/regionPaths.js';
import { freePort } from './freePort.js';
import { findLeaks, homeValues, readLog, recordLogAudit } from './logAudit.js';

export interface ScratchRegion {
  readonly name: string;
  readonly postgres: number;
}

/**
 * The role whose members (and superusers) may use the functions' test-only
 * pause points; pg-residency never creates it, every scratch fleet does.
 */
export const TEST_HOOKS_ROLE = 'residency_test_hooks';

/** The seed's entity, `shared.identity`: the one the demo and the walkthrough use. */
export const SEED_ENTITY_YAML = `
  - name: identity
    schema: shared
    key: { name: uuid, type: uuid, default: uuid_generate_v4() }
    mirrored:
      - { name: note, type: text }
      - { name: created_on, type: timestamptz, not_null: true, default: now() }
    resident:
      - { name: name, type: text }
`;

/** The mixed fleet of the acceptance criteria: routing mode on 10, native on 11 and 18. */
export const MIXED_FLEET: readonly ScratchRegion[] = [
  { name: 'usa', postgres: 10 },
  { name: 'gbr', postgres: 11 },
  { name: 'aus', postgres: 18 },
];

export interface ScratchFleetOptions {
  readonly regions: readonly ScratchRegion[];
  readonly mode?: string;
  /** More top-level regions.yaml, e.g. `timeouts: {...}`. */
  readonly extra?: string;
  readonly entities?: string;
  /** The server port of each region; default: free ports. */
  readonly ports?: Readonly<Record<string, number>>;
  /** Where the other regions reach a region (e.g. a proxy in front of it); default its own port. */
  readonly fdwPorts?: Readonly<Record<string, number>>;
  /**
   * fsync and synchronous_commit off, for speed: only for tests that inject
   * no faults (no killed or stopped server). Default false: durable.
   */
  readonly unsafeFast?: boolean;
  /** More of a region's `fdw` settings, as YAML flow entries, e.g. `{ gbr: 'sslmode: disable' }`. */
  readonly fdw?: Readonly<Record<string, string>>;
  /** Give the link role the dev fleet's client certificate (link.sslcert); default true. */
  readonly linkCert?: boolean;
  /**
   * Name the dev fleet's CA in every region's `fdw.sslrootcert`; default true.
   * False: a regions.yaml as the README's reference writes it, no TLS paths.
   */
  readonly rootCert?: boolean;
  /**
   * Give every region a link pooler (PgBouncer, transaction mode) on a free
   * port with this pool size; its port is in `poolerPorts`. Default: none.
   */
  readonly pooler?: { readonly poolSize: number; readonly sslmode?: string; readonly writesInFlight?: number };
  /** Apply the migrations (`migrate up --all`); default true. */
  readonly migrate?: boolean;
  /**
   * Why this fleet's server logs are not audited for personal values from
   * other regions when it stops (see logAudit.ts): only for a test that breaks
   * log settings on purpose. Default: audited.
   */
  readonly skipLogAudit?: string;
}

export interface ScratchFleet {
  readonly config: Config;
  /** The fleet's regions.yaml, for running the CLI against it. */
  readonly configPath: string;
  readonly stateDir: string;
  /** The fleet's generated migrations. */
  readonly dir: string;
  /** The environment with the fleet's generated passwords. */
  readonly env: Readonly<Record<string, string>>;
  /** Each region's real server port. */
  readonly ports: Readonly<Record<string, number>>;
  /** Each region's link pooler port, when the fleet has poolers. */
  readonly poolerPorts: Readonly<Record<string, number>>;
  /** A new direct connection to a region, as the superuser; closed by stop(). */
  client(region: string): Promise<pg.Client>;
  /** One query on one region, on a connection of its own. */
  query<T extends pg.QueryResultRow = Record<string, unknown>>(region: string, sql: string, params?: unknown[]): Promise<T[]>;
  migrate(input: Partial<MigrateInput>): Promise<RegionMigrateResult[]>;
  /** Stops one region's server, keeping its data, as an outage would. */
  stopRegion(region: string): Promise<void>;
  startRegion(region: string): Promise<void>;
  /** Stops every server and deletes the temporary folder. Safe to call twice. */
  stop(): Promise<void>;
}

/** A connection (not yet open) to a scratch region's database as the superuser. */
function superuser(port: number, env: Readonly<Record<string, string>>): pg.Client {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password: env.PGPASSWORD, database: 'residency' });
  client.on('error', () => undefined);
  return client;
}

/** The dev fleet's TLS files as the servers see them: relative to each data directory, as in the root regions.yaml. */
const TLS_FROM_DATA_DIR = '../../.tls';

function fleetYaml(
  options: ScratchFleetOptions,
  ports: Readonly<Record<string, number>>,
  poolerPorts: Readonly<Record<string, number>> = {},
): string {
  return [
    `mode: ${options.mode ?? 'auto'}`,
    options.extra ?? '',
    ...(options.linkCert === false ? [] : [`link: { sslcert: ${TLS_FROM_DATA_DIR}/link.crt, sslkey: ${TLS_FROM_DATA_DIR}/link.key }`]),
    'regions:',
    ...options.regions.map((r) => {
      const fdw = [
        ...(options.fdwPorts?.[r.name] === undefined ? [] : [`host: 127.0.0.1, port: ${options.fdwPorts[r.name]}`]),
        ...(options.rootCert === false ? [] : [`sslrootcert: ${TLS_FROM_DATA_DIR}/ca.crt`]),
        ...(options.fdw?.[r.name] === undefined ? [] : [options.fdw[r.name]]),
      ];
      const pooler =
        poolerPorts[r.name] === undefined
          ? ''
          : `, pooler: { host: 127.0.0.1, port: ${poolerPorts[r.name]}, pool_size: ${options.pooler!.poolSize}${options.pooler!.writesInFlight === undefined ? '' : `, writes_in_flight: ${options.pooler!.writesInFlight}`}${options.pooler!.sslmode === undefined ? '' : `, sslmode: ${options.pooler!.sslmode}`} }`;
      return `  - { name: ${r.name}, url: "postgres://postgres@127.0.0.1:${ports[r.name]}/residency", postgres: ${r.postgres}, fdw: { ${fdw.join(', ')} }${pooler} }`;
    }),
    'entities:',
    options.entities ?? SEED_ENTITY_YAML,
  ].join('\n');
}

/**
 * A throwaway local fleet for tests and benchmarks: one real PostgreSQL server
 * per region on free ports in a temporary folder, its regions.yaml, its
 * generated migrations, applied unless `migrate: false`. Whatever was started
 * is stopped again when starting fails.
 */
export async function startScratchFleet(options: ScratchFleetOptions): Promise<ScratchFleet> {
  const root = mkdtempSync(join(tmpdir(), 'rsd-'));
  chmodSync(root, 0o755); // the postgres OS user must reach the data directories
  const stateDir = join(root, 'state');
  const dir = join(root, 'generated');
  const configPath = join(root, 'regions.yaml');
  const ports: Record<string, number> = {};
  const poolerPorts: Record<string, number> = {};
  const open: pg.Client[] = [];
  let config: Config | undefined;
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      await Promise.all(open.map((c) => c.end().catch(() => undefined)));
      if (config !== undefined) await auditLogs(config);
      if (config !== undefined) await devDown(config, { stateDir, purge: true });
      rmSync(root, { recursive: true, force: true });
    })());
  // issue 8: no region's server log holds a personal value whose home is another region
  const auditLogs = async (audited: Config): Promise<void> => {
    const fleet = audited.regions.map((r) => r.name).join(',');
    if (options.skipLogAudit !== undefined) {
      recordLogAudit({ fleet, logs: 0, values: 0, leaks: [], skipped: options.skipLogAudit });
      return;
    }
    const env: Readonly<Record<string, string>> = await devEnv(stateDir, {}).catch(() => ({}));
    const values = new Map<string, { object: string; value: string }[]>();
    const logs = new Map<string, string>();
    for (const region of audited.regions) {
      const client = superuser(ports[region.name]!, env);
      const held = await client
        .connect()
        .then(() => homeValues(audited, region.name, async (sql) => (await client.query(sql)).rows as Record<string, unknown>[]))
        .catch(() => []) // a region stopped by its test holds what it held; its log is still read
        .finally(() => client.end().catch(() => undefined));
      values.set(region.name, held);
      logs.set(region.name, readLog(regionPaths(stateDir, region.name, ports[region.name]!).logFile));
    }
    const leaks = findLeaks(values, logs);
    recordLogAudit({ fleet, logs: logs.size, values: [...values.values()].reduce((n, v) => n + v.length, 0), leaks });
  };
  const only = (region: string): Config => ({ ...config!, regions: config!.regions.filter((r) => r.name === region) });

  try {
    for (const r of options.regions) ports[r.name] = options.ports?.[r.name] ?? (await freePort());
    if (options.pooler !== undefined) for (const r of options.regions) poolerPorts[r.name] = await freePort();
    const yaml = fleetYaml(options, ports, poolerPorts);
    writeFileSync(configPath, yaml);
    config = parseConfig(yaml, configPath, {});
    const failed = (await devUp(config, { stateDir, env: {}, unsafeFast: options.unsafeFast === true })).find((r) => r.error)?.error;
    if (failed) throw failed;
  } catch (error) {
    await stop();
    throw error;
  }
  const started = config;
  const env = await devEnv(stateDir, {});
  await genMigrations({ config: started, templates: await loadTemplates(), outDir: dir, check: false, force: false, fs: nodeGeneratedFs });

  const fleet: ScratchFleet = {
    config: started,
    configPath,
    stateDir,
    dir,
    env,
    ports,
    poolerPorts,
    async client(region) {
      const client = superuser(ports[region]!, env);
      await client.connect();
      open.push(client);
      return client;
    },
    async query(region, sql, params) {
      const client = await fleet.client(region);
      try {
        return (await client.query(sql, params)).rows;
      } finally {
        await client.end();
      }
    },
    migrate: (input) => migrateFleet({ config: started, regions: [], all: true, direction: 'up', dir, env, dryRun: false, ...input }),
    async stopRegion(region) {
      const [r] = await devDown(only(region), { stateDir });
      if (r?.error) throw r.error;
    },
    async startRegion(region) {
      const [r] = await devUp(only(region), { stateDir, env: {}, unsafeFast: options.unsafeFast === true });
      if (r?.error) throw r.error;
    },
    stop,
  };
  try {
    // the test-only pause points (residency.test_pause) hold for members of this role only; a
    // superuser is a member of every role, so the suite's superuser sessions may pause
    for (const r of options.regions) await fleet.query(r.name, `CREATE ROLE ${TEST_HOOKS_ROLE} NOLOGIN`);
  } catch (error) {
    await stop();
    throw error;
  }
  if (options.migrate !== false) {
    const error = (await fleet.migrate({})).find((r) => r.error)?.error;
    if (error) {
      await stop();
      throw error;
    }
  }
  return fleet;
}
