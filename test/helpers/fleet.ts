import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { devDown } from '../../src/cluster/devDown.js';
import { devEnv } from '../../src/cluster/devSecrets.js';
import { devUp } from '../../src/cluster/devUp.js';
import { parseConfig } from '../../src/config/parseConfig.js';
import type { Config } from '../../src/config/types.js';
import { migrateFleet, type MigrateInput, type RegionMigrateResult } from '../../src/migrate/migrateFleet.js';
import { genMigrations } from '../../src/render/genMigrations.js';
import { loadTemplates } from '../../src/render/loadTemplates.js';
import { nodeGeneratedFs } from '../../src/render/nodeGeneratedFs.js';

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface FleetRegion {
  readonly name: string;
  readonly postgres: number;
}

/** The seed's entity: the one the demo and the seed walkthrough use. */
export const SEED_ENTITY = `
  - name: identity
    schema: shared
    key: { name: uuid, type: uuid, default: uuid_generate_v4() }
    mirrored:
      - { name: note, type: text }
      - { name: created_on, type: timestamptz, not_null: true, default: now() }
    resident:
      - { name: name, type: text }
`;

export interface Fleet {
  readonly config: Config;
  /** The fleet's regions.yaml, for CLI tests. */
  readonly configPath: string;
  readonly stateDir: string;
  /** The generated migrations of this fleet. */
  readonly dir: string;
  /** The environment with the fleet's passwords. */
  readonly env: Record<string, string>;
  readonly ports: Readonly<Record<string, number>>;
  /** Connects to one region directly, as the superuser. */
  client(region: string): Promise<pg.Client>;
  /** One query on one region, on a fresh connection. */
  query<T extends pg.QueryResultRow = Record<string, unknown>>(region: string, sql: string, params?: unknown[]): Promise<T[]>;
  migrate(input: Partial<MigrateInput>): Promise<RegionMigrateResult[]>;
  /** Stops one region's server, keeping its data, as an outage would. */
  stopRegion(region: string): Promise<void>;
  startRegion(region: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts one real PostgreSQL server per region in a temporary folder, writes
 * its regions.yaml, generates its migrations, and (unless `migrate: false`)
 * applies them with `migrate up --all`.
 */
export async function startFleet(options: {
  regions: readonly FleetRegion[];
  mode?: string;
  entities?: string;
  extra?: string;
  migrate?: boolean;
}): Promise<Fleet> {
  const root = mkdtempSync(join(tmpdir(), 'rsd-'));
  chmodSync(root, 0o755); // the postgres OS user must reach the data directories
  const stateDir = join(root, 'state');
  const dir = join(root, 'generated');
  const ports: Record<string, number> = {};
  for (const r of options.regions) ports[r.name] = await freePort();
  const yaml = [
    `mode: ${options.mode ?? 'auto'}`,
    options.extra ?? '',
    'regions:',
    ...options.regions.map(
      (r) => `  - { name: ${r.name}, url: "postgres://postgres@127.0.0.1:${ports[r.name]}/residency", postgres: ${r.postgres} }`,
    ),
    'entities:',
    options.entities ?? SEED_ENTITY,
  ].join('\n');
  const config = parseConfig(yaml, 'regions.yaml', {});
  const configPath = join(root, 'regions.yaml');
  writeFileSync(configPath, yaml);
  const up = await devUp(config, { stateDir, env: {} });
  const failed = up.find((r) => r.error)?.error;
  if (failed) throw failed;
  const env = await devEnv(stateDir, {});
  await genMigrations({ config, templates: await loadTemplates(), outDir: dir, check: false, force: false, fs: nodeGeneratedFs });
  const open: pg.Client[] = [];
  const fleet: Fleet = {
    config,
    configPath,
    stateDir,
    dir,
    env,
    ports,
    async client(region) {
      const client = new pg.Client({
        host: '127.0.0.1',
        port: ports[region],
        user: 'postgres',
        password: env.PGPASSWORD,
        database: 'residency',
      });
      client.on('error', () => undefined);
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
    async stopRegion(region) {
      const [r] = await devDown({ ...config, regions: config.regions.filter((x) => x.name === region) }, { stateDir });
      if (r?.error) throw r.error;
    },
    async startRegion(region) {
      const [r] = await devUp({ ...config, regions: config.regions.filter((x) => x.name === region) }, { stateDir, env: {} });
      if (r?.error) throw r.error;
    },
    migrate: (input) => migrateFleet({ config, regions: [], all: true, direction: 'up', dir, env, dryRun: false, ...input }),
    async stop() {
      await Promise.all(open.map((c) => c.end().catch(() => undefined)));
      await devDown(config, { stateDir, purge: true });
      rmSync(root, { recursive: true, force: true });
    },
  };
  if (options.migrate !== false) {
    const results = await fleet.migrate({});
    const error = results.find((r) => r.error)?.error;
    if (error) {
      await fleet.stop();
      throw error;
    }
  }
  return fleet;
}

/** The mixed fleet of the acceptance criteria: routing mode on 10, native on 11 and 18. */
export const MIXED: readonly FleetRegion[] = [
  { name: 'usa', postgres: 10 },
  { name: 'gbr', postgres: 11 },
  { name: 'aus', postgres: 18 },
];
