import { accessSync, constants } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { delimiter, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config, Region } from '../config/types.js';
import { ResidencyError } from '../errors.js';
import { linkVerifier } from '../migrate/scramVerifier.js';
import { clusterError } from './clusterError.js';
import { devTlsPaths, serverTlsFiles } from './devTls.js';
import { logTail } from './logTail.js';
import { renderAuthFile, renderPoolerHba, renderPoolerIni, type PoolerFiles } from './poolerConfig.js';
import { portAvailability } from './portAvailability.js';
import { regionPaths } from './regionPaths.js';
import { regionAddress } from './regionAddress.js';
import { runServerCommand } from './runServerCommand.js';
import { makeServerDir, writeServerFile } from './serverOwnedFiles.js';
import type { ServerUser } from './serverUser.js';

/** How to get PgBouncer where it is missing. */
export const PGBOUNCER_INSTALL_HINT =
  'install PgBouncer 1.18 or newer (Debian and Ubuntu: apt-get install -y pgbouncer; the package starts no service of its own that dev up needs), or remove pooler: from the region in regions.yaml';

/** The files of one region's dev pooler: `<stateDir>/<region>/pooler/`. */
export function devPoolerPaths(stateDir: string, region: Region): { dir: string; ini: string; files: PoolerFiles } {
  const dir = resolve(regionPaths(stateDir, region.name, regionAddress(region).port).regionDir, 'pooler');
  const tls = devTlsPaths(stateDir);
  const server = serverTlsFiles(stateDir, region.name);
  return {
    dir,
    ini: join(dir, 'pgbouncer.ini'),
    files: {
      authFile: join(dir, 'userlist.txt'),
      hbaFile: join(dir, 'hba.conf'),
      logFile: join(dir, 'pgbouncer.log'),
      pidFile: join(dir, 'pgbouncer.pid'),
      caFile: resolve(tls.caCert),
      serverCert: { cert: resolve(server.cert), key: resolve(server.key) },
      linkCert: undefined,
    },
  };
}

/**
 * The pgbouncer program: on PATH or in an sbin directory (Debian installs it
 * in /usr/sbin, which a non-login PATH may lack).
 * @throws ResidencyError CLUSTER naming how to install it
 */
export function pgbouncerBinary(
  env: NodeJS.ProcessEnv = process.env,
  systemDirs: readonly string[] = ['/usr/sbin', '/usr/local/sbin', '/usr/bin', '/usr/local/bin'],
): string {
  const dirs = [...(env.PATH ?? '').split(delimiter), ...systemDirs].filter(Boolean);
  for (const dir of dirs) {
    try {
      accessSync(join(dir, 'pgbouncer'), constants.X_OK);
      return join(dir, 'pgbouncer');
    } catch {
      // not here
    }
  }
  throw new ResidencyError(
    'CLUSTER',
    `regions.yaml gives a region a link pooler, which dev up runs with PgBouncer, and pgbouncer is not installed: ${PGBOUNCER_INSTALL_HINT}`,
  );
}

/** The pid of the region's running dev pooler, from its pid file, or undefined. */
export async function runningPooler(stateDir: string, region: Region): Promise<number | undefined> {
  const { files } = devPoolerPaths(stateDir, region);
  let pid: number;
  try {
    pid = Number((await readFile(files.pidFile, 'utf8')).trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return undefined;
    return cmdline.includes('pgbouncer') ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Whether something accepts TCP connections on host:port now. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host, port });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
    socket.once('timeout', () => {
      socket.destroy();
      done(false);
    });
  });
}

/** What starting one region's pooler did. */
export interface DevPoolerResult {
  readonly status: 'started' | 'already-running';
  readonly pid: number;
  readonly host: string;
  readonly port: number;
}

/**
 * Starts the dev pooler beside `region` (PgBouncer in transaction mode, as
 * the server account), after writing its ini, hba and auth files under
 * `<stateDir>/<region>/pooler/`. The auth file holds the link role's SCRAM
 * verifier (the one migrate stores, see linkVerifier), never its password;
 * it is mode 0600, like secrets.env. A pooler already running is kept when
 * its ini is unchanged, else stopped and started with the new files.
 * @throws ResidencyError CLUSTER naming the region: pgbouncer missing, the port taken, a start that failed (with its log's last lines)
 */
export async function startDevPooler(
  config: Config,
  region: Region,
  stateDir: string,
  user: ServerUser | undefined,
  linkPassword: string,
): Promise<DevPoolerResult> {
  const pooler = region.pooler;
  if (pooler === undefined) throw clusterError(region.name, 'it has no pooler in regions.yaml');
  const binary = pgbouncerBinary();
  const { dir, ini, files } = devPoolerPaths(stateDir, region);
  const tls = devTlsPaths(stateDir);
  const withCert: PoolerFiles = {
    ...files,
    linkCert: config.link.sslcert === undefined ? undefined : { cert: resolve(tls.linkCert), key: resolve(tls.linkKey) },
  };
  const iniText = renderPoolerIni(config, region, withCert);
  const running = await runningPooler(stateDir, region);
  if (running !== undefined) {
    // regions.yaml unchanged: keep it (and its warm connections); changed: start it again with the new files
    if ((await readFile(ini, 'utf8').catch(() => '')) === iniText)
      return { status: 'already-running', pid: running, host: pooler.host, port: pooler.port };
    await stopDevPooler(stateDir, region);
  }
  const availability = await portAvailability(pooler.host, pooler.port);
  if (availability !== 'free') {
    throw clusterError(
      region.name,
      availability === 'in-use'
        ? `its pooler's port ${pooler.port} on ${pooler.host} is already in use by another process; stop that process, or give pooler.port another port in regions.yaml`
        : `its pooler's host ${pooler.host} is not an address of this machine, and dev up only runs local poolers; set pooler.host to 127.0.0.1`,
    );
  }
  await makeServerDir(dir, user);
  await writeServerFile(ini, iniText, user);
  await writeServerFile(files.hbaFile, renderPoolerHba(config, region), user);
  await writeServerFile(files.authFile, renderAuthFile(config.link.role, linkVerifier(linkPassword, config.link.role)), user);
  await rm(files.pidFile, { force: true });
  const logStart = await readFile(files.logFile).then(
    (b) => b.length,
    () => 0,
  );
  const outcome = await runServerCommand(user, binary, ['-d', '-q', ini], { cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  const deadline = Date.now() + 10_000;
  while (outcome.exitCode === 0 && Date.now() < deadline) {
    if (await accepts(pooler.host, pooler.port)) {
      const pid = await runningPooler(stateDir, region);
      if (pid !== undefined) return { status: 'started', pid, host: pooler.host, port: pooler.port };
    }
    await sleep(50);
  }
  const tail = await logTail(files.logFile, 8, logStart);
  throw clusterError(
    region.name,
    `its pooler (PgBouncer) did not start on ${pooler.host}:${pooler.port}: ${outcome.stderr.trim() || `exit code ${String(outcome.exitCode)}`}${tail ? `; the last lines of ${files.logFile}:\n${tail}` : ''}`,
  );
}

/**
 * Stops the region's dev pooler (SIGTERM: PgBouncer closes every connection
 * at once) and waits until it is gone.
 * @returns whether one was running
 */
export async function stopDevPooler(stateDir: string, region: Region, timeoutMs = 10_000): Promise<boolean> {
  const pid = await runningPooler(stateDir, region);
  if (pid === undefined) return false;
  try {
    process.kill(pid, 'SIGTERM');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return true;
    throw error;
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await runningPooler(stateDir, region)) === undefined) return true;
    await sleep(50);
  }
  throw clusterError(region.name, `its pooler (pid ${pid}) did not stop within ${timeoutMs / 1000} s`);
}
