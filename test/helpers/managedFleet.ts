import { access, appendFile, chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { parseConfig } from '../../src/config/parseConfig.js';
import type { Config, Major } from '../../src/config/types.js';
import { devTlsPaths, ensureDevTls, serverTlsFiles } from '../../src/cluster/devTls.js';
import { initDataDir } from '../../src/cluster/initDataDir.js';
import { regionAddress } from '../../src/cluster/regionAddress.js';
import { regionPaths, type RegionPaths } from '../../src/cluster/regionPaths.js';
import { resolveBinaries, type PgBinaries } from '../../src/cluster/resolveBinaries.js';
import { serverEnv } from '../../src/cluster/serverEnv.js';
import { makeServerDir } from '../../src/cluster/serverOwnedFiles.js';
import { serverUser, type ServerUser } from '../../src/cluster/serverUser.js';
import { startServer, type StartServerInput } from '../../src/cluster/startServer.js';
import { stopServer } from '../../src/cluster/stopServer.js';
import { clearStaleLock } from '../../src/cluster/staleLock.js';
import { linkRoleLogSettings } from '../../src/plan/linkRoleSettings.js';
import { ident, literal } from '../../src/sql/quote.js';
import { freePort } from './freePort.js';
import { findLeaks, homeValues, readLog, recordLogAudit } from './logAudit.js';
import { SEED_ENTITY_YAML } from './scratchFleet.js';

/** Debian's `postgresql-15` package: the distribution's server, not one from npm. */
export const DEBIAN_PG15_BIN = '/usr/lib/postgresql/15/bin';

/** One region of a managed-style fleet: a major, from npm (10, 11, 18) or Debian (15). */
export interface ManagedRegion {
  readonly name: string;
  readonly postgres: Major;
}

/** The fleet of issue 17: every major the CI proves a non-superuser migrator on. */
export const MANAGED_FLEET: readonly ManagedRegion[] = [
  { name: 'usa', postgres: 10 },
  { name: 'gbr', postgres: 11 },
  { name: 'deu', postgres: 15 },
  { name: 'aus', postgres: 18 },
];

export const MIGRATOR = 'migrator';
export const APP_ROLE = 'app';

/**
 * The one-time admin SQL of docs/own-databases.md, per region, as an admin
 * (here the bootstrap superuser) runs it: a migrator with CREATEROLE that owns
 * the database, the extensions in the schemas pg-residency expects, and on
 * 15+ the right to set the log parameters pg-residency sets.
 */
export function adminSql(
  major: Major,
  migrator: string,
  migratorPassword: string,
  database: string,
): { server: string[]; database: string[] } {
  const m = ident(migrator);
  const logParameters = [...new Set([...linkRoleLogSettings(major).map((s) => s.name), 'log_min_error_statement'])];
  return {
    server: [`CREATE ROLE ${m} LOGIN CREATEROLE PASSWORD ${literal(migratorPassword)}`, `CREATE DATABASE ${ident(database)} OWNER ${m}`],
    database: [
      'CREATE EXTENSION IF NOT EXISTS postgres_fdw',
      `GRANT USAGE ON FOREIGN DATA WRAPPER postgres_fdw TO ${m}`,
      'CREATE SCHEMA IF NOT EXISTS residency_dblink',
      'CREATE EXTENSION IF NOT EXISTS dblink SCHEMA residency_dblink',
      'REVOKE ALL ON SCHEMA residency_dblink FROM PUBLIC',
      'REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA residency_dblink FROM PUBLIC',
      `GRANT USAGE ON SCHEMA residency_dblink TO ${m}`,
      `GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA residency_dblink TO ${m}`,
      ...(major <= 12 ? ['CREATE EXTENSION IF NOT EXISTS "uuid-ossp"'] : []),
      ...(major >= 15 ? logParameters.map((p) => `GRANT SET ON PARAMETER ${ident(p)} TO ${m}`) : []),
    ],
  };
}

export interface ManagedFleet {
  readonly config: Config;
  readonly configPath: string;
  readonly root: string;
  /** PGPASSWORD (the migrator's) and the link password: what the CLI is given. */
  readonly env: Readonly<Record<string, string>>;
  readonly ports: Readonly<Record<string, number>>;
  readonly appPassword: string;
  readonly caFile: string;
  /** TLS settings for pg: the fleet's CA. */
  readonly ssl: pg.ClientConfig['ssl'];
  /** A new connection to a region as `user` over verified TLS; closed by stop(). */
  connect(region: string, user: string, password: string): Promise<pg.Client>;
  /** The bootstrap superuser, as an admin acting on what migrate printed. */
  connectSuperuser(region: string): Promise<pg.Client>;
  /** The server log lines each region wrote since `markLogs()`. */
  logsSinceMark(): Promise<Record<string, string>>;
  markLogs(): Promise<void>;
  /**
   * The log audit of issue 8 (no personal value in another region's server
   * log), recorded once: call it while the fleet holds its rows; stop() runs
   * it otherwise.
   */
  auditLogs(): Promise<void>;
  /** SIGKILLs a region's postmaster, as a crash would; returns its pid. */
  killRegion(region: string): Promise<number>;
  startRegion(region: string): Promise<void>;
  stop(): Promise<void>;
}

async function debianBinaries(): Promise<PgBinaries> {
  const bin = (p: string) => join(DEBIAN_PG15_BIN, p);
  for (const program of ['initdb', 'pg_ctl', 'postgres']) {
    try {
      await access(bin(program), constants.X_OK);
    } catch {
      throw new Error(
        `Debian's PostgreSQL 15 is not installed (${bin(program)} is missing): the managed-style fleet test needs it; install it with: apt-get install -y postgresql-15 (.ci/run does)`,
      );
    }
  }
  return {
    major: 15,
    version: '15 (Debian)',
    packageDir: '/usr/lib/postgresql/15',
    initdb: bin('initdb'),
    pgCtl: bin('pg_ctl'),
    postgres: bin('postgres'),
  };
}

const password = (): string => `pw-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;

/**
 * A fleet started as a DBA would leave it, outside `dev up`: one server per
 * region (10, 11, 18 from npm, 15 from Debian) initialised and started with
 * the cluster helpers, TLS on, `log_connections` on; then, as the bootstrap
 * superuser and only then, the admin SQL of docs/own-databases.md and an
 * application role. Everything after uses the migrator (the config's urls,
 * PGPASSWORD) or the application role.
 */
export async function startManagedFleet(
  regions: readonly ManagedRegion[] = MANAGED_FLEET,
  options: {
    /** What the admin runs in each region's database instead of the documented SQL (given it), e.g. a step left out. */
    readonly adminDatabaseSql?: (documented: readonly string[]) => string[];
  } = {},
): Promise<ManagedFleet> {
  const root = await mkdtemp(join(tmpdir(), 'rsd-managed-'));
  await chmod(root, 0o755);
  const stateDir = join(root, 'state');
  const user: ServerUser | undefined = await serverUser();
  await makeServerDir(stateDir, user);
  await chmod(stateDir, 0o755);
  const superuserPassword = password();
  const migratorPassword = password();
  const appPassword = password();
  const linkPassword = password();
  const ports: Record<string, number> = {};
  for (const r of regions) ports[r.name] = await freePort();
  const caFile = resolve(devTlsPaths(stateDir).caCert);
  const yaml = [
    'mode: auto',
    `app_roles: [${APP_ROLE}]`,
    'regions:',
    ...regions.map(
      (r) =>
        `  - { name: ${r.name}, url: "postgres://${MIGRATOR}@127.0.0.1:${ports[r.name]}/residency?sslmode=verify-full&sslrootcert=${caFile}", postgres: ${r.postgres}, fdw: { sslrootcert: ../../.tls/ca.crt } }`,
    ),
    'entities:',
    SEED_ENTITY_YAML,
  ].join('\n');
  const configPath = join(root, 'regions.yaml');
  await import('node:fs/promises').then((fs) => fs.writeFile(configPath, yaml));
  const env = { PGPASSWORD: migratorPassword, PG_RESIDENCY_LINK_PASSWORD: linkPassword };
  const config = parseConfig(yaml, configPath, env);
  const open: pg.Client[] = [];
  const servers = new Map<string, { input: StartServerInput; paths: RegionPaths }>();
  const marks = new Map<string, number>();
  // the fleet, once started: the audit and the superuser connection use its connect()
  const self: { fleet?: ManagedFleet } = {};
  let audited: Promise<void> | undefined;

  // issue 8: no region's server log holds a personal value whose home is another
  // region; read as the migrator (it owns the leaves), not as a superuser
  const auditLogs = async () => {
    const values = new Map<string, { object: string; value: string }[]>();
    const logs = new Map<string, string>();
    for (const [name, { paths }] of servers) {
      const held = await self
        .fleet!.connect(name, MIGRATOR, migratorPassword)
        .then(async (client) => homeValues(config, name, async (sql) => (await client.query(sql)).rows as Record<string, unknown>[]))
        .catch(() => []);
      values.set(name, held);
      logs.set(name, readLog(paths.logFile));
    }
    recordLogAudit({
      fleet: [...servers.keys()].join(','),
      logs: logs.size,
      values: [...values.values()].reduce((n, v) => n + v.length, 0),
      leaks: findLeaks(values, logs),
    });
  };
  const stopAll = async () => {
    if (servers.size > 0 && self.fleet !== undefined) await (audited ??= auditLogs()).catch(() => undefined);
    await Promise.all(open.map((c) => c.end().catch(() => undefined)));
    for (const { paths } of servers.values()) {
      const pid = await postmasterPid(paths.dataDir);
      if (pid !== undefined) await stopServer(pid, paths.dataDir).catch(() => undefined);
    }
    await rm(root, { recursive: true, force: true });
  };
  try {
    await ensureDevTls(config, stateDir, user);
    await Promise.all(
      regions.map(async (r) => {
        const region = config.regions.find((x) => x.name === r.name)!;
        const binaries = r.postgres === 15 ? await debianBinaries() : await resolveBinaries(r.postgres, r.name);
        const paths = regionPaths(stateDir, r.name, ports[r.name]!);
        await makeServerDir(paths.regionDir, user);
        const address = { ...regionAddress(region), user: 'postgres', database: 'postgres', password: superuserPassword };
        const childEnv = serverEnv(process.env, []);
        await initDataDir({ region: r.name, binaries, user, paths, address, superuserPassword, env: childEnv });
        // who connects is the point of this fleet: every connection is logged; and DDL
        // statements, as many production servers log them: no link password may be among them
        await appendFile(
          join(paths.dataDir, 'postgresql.conf'),
          "\nlog_connections = on\nlog_statement = 'ddl'\nlog_line_prefix = '%m [%p] '\n",
        );
        const files = serverTlsFiles(stateDir, r.name);
        const input: StartServerInput = {
          region: r.name,
          binaries,
          user,
          paths,
          address,
          env: childEnv,
          security: {
            tls: { certFile: resolve(files.cert), keyFile: resolve(files.key), caFile },
            hba: { linkRole: config.link.role, linkAuth: 'password', linkTlsOnly: true },
          },
        };
        servers.set(r.name, { input, paths });
        await startServer(input);
        // the admin's one-time setup, as the bootstrap superuser
        const sql = adminSql(r.postgres, MIGRATOR, migratorPassword, 'residency');
        const admin = async (database: string, statements: string[]) => {
          const client = new pg.Client({ host: '127.0.0.1', port: ports[r.name], user: 'postgres', password: superuserPassword, database });
          await client.connect();
          try {
            for (const statement of statements) await client.query(statement);
          } finally {
            await client.end();
          }
        };
        // the application's role, whose failing statements are not logged with their values (README, Security)
        await admin('postgres', [
          ...sql.server,
          `CREATE ROLE ${ident(APP_ROLE)} LOGIN PASSWORD ${literal(appPassword)}`,
          `ALTER ROLE ${ident(APP_ROLE)} SET log_min_error_statement = 'panic'`,
        ]);
        await admin('residency', options.adminDatabaseSql?.(sql.database) ?? sql.database);
      }),
    );
  } catch (error) {
    await stopAll();
    throw error;
  }

  // the server certificates name 127.0.0.1: verified as libpq's verify-full does
  const ssl = { ca: await readFile(caFile, 'utf8'), rejectUnauthorized: true };
  const fleet: ManagedFleet = {
    config,
    configPath,
    root,
    env,
    ports,
    appPassword,
    caFile,
    ssl,
    connectSuperuser: (region) => self.fleet!.connect(region, 'postgres', superuserPassword),
    auditLogs: () => (audited ??= auditLogs()),
    async connect(region, who, pw) {
      const client = new pg.Client({ host: '127.0.0.1', port: ports[region], user: who, password: pw, database: 'residency', ssl });
      client.on('error', () => undefined);
      await client.connect();
      open.push(client);
      return client;
    },
    async markLogs() {
      for (const [name, { paths }] of servers) marks.set(name, (await readFile(paths.logFile)).length);
    },
    async logsSinceMark() {
      const out: Record<string, string> = {};
      for (const [name, { paths }] of servers) out[name] = (await readFile(paths.logFile)).subarray(marks.get(name) ?? 0).toString('utf8');
      return out;
    },
    async killRegion(region) {
      const { paths } = servers.get(region)!;
      const pid = await postmasterPid(paths.dataDir);
      if (pid === undefined) throw new Error(`region "${region}" is not running`);
      process.kill(pid, 'SIGKILL');
      return pid;
    },
    async startRegion(region) {
      const { input, paths } = servers.get(region)!;
      // a killed postmaster leaves postmaster.pid and its socket lock: cleared as dev up does
      await clearStaleLock(region, paths.dataDir, paths.socketDir);
      await startServer(input);
    },
    stop: stopAll,
  };
  self.fleet = fleet;
  return fleet;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function postmasterPid(dataDir: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}
