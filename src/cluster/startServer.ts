import { appendFile, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { clusterError } from './clusterError.js';
import { logSize, logTail } from './logTail.js';
import type { RegionAddress } from './regionAddress.js';
import type { RegionPaths } from './regionPaths.js';
import type { PgBinaries } from './resolveBinaries.js';
import { runServerCommand } from './runServerCommand.js';
import { makeServerDir, writeServerFile } from './serverOwnedFiles.js';
import { renderHba, type HbaInput } from './serverHba.js';
import { renderServerSettings, SETTINGS_FILE_NAME, SETTINGS_INCLUDE_LINE, type ServerSettingsInput } from './serverSettings.js';
import type { ServerUser } from './serverUser.js';

/** What {@link startServer} needs about one region. */
export interface StartServerInput {
  readonly region: string;
  readonly binaries: PgBinaries;
  readonly user: ServerUser | undefined;
  readonly paths: RegionPaths;
  readonly address: RegionAddress;
  readonly env: NodeJS.ProcessEnv;
  /** fsync and synchronous_commit off: see renderServerSettings. */
  readonly unsafeFast?: boolean;
  /** The server's TLS files (absolute paths) and who it admits how. */
  readonly security: ServerSecurity;
}

/** TLS and client authentication of one dev server. */
export interface ServerSecurity {
  readonly tls: ServerSettingsInput['tls'];
  readonly hba: HbaInput;
}

/** How long pg_ctl waits for a server to accept connections. */
const START_TIMEOUT_SECONDS = 60;

/**
 * Starts a region's server on an initialised data directory with pg_ctl and
 * waits until it accepts connections. Settings ({@link renderServerSettings})
 * and pg_hba.conf ({@link renderHba}) are rewritten first; the server logs to `paths.logFile`.
 * @throws ResidencyError CLUSTER with the last lines of the log when it does not start
 */
export async function startServer(input: StartServerInput): Promise<void> {
  const { paths, user } = input;
  await writeServerFile(
    join(paths.dataDir, SETTINGS_FILE_NAME),
    renderServerSettings({ ...input.address, socketDir: paths.socketDir, tls: input.security.tls, unsafeFast: input.unsafeFast === true }),
    user,
  );
  await writeServerFile(join(paths.dataDir, 'pg_hba.conf'), renderHba(input.security.hba), user);
  const mainConf = join(paths.dataDir, 'postgresql.conf');
  if (!(await readFile(mainConf, 'utf8')).includes(SETTINGS_INCLUDE_LINE)) {
    await appendFile(mainConf, `\n# Added by pg-residency: the settings it manages.\n${SETTINGS_INCLUDE_LINE}\n`);
  }
  await makeServerDir(paths.socketDir, user);
  const logStart = await logSize(paths.logFile);
  const outcome = await runServerCommand(
    user,
    input.binaries.pgCtl,
    // Absolute: the programs run in regionDir, and stateDir may be relative.
    ['-D', resolve(paths.dataDir), '-l', resolve(paths.logFile), '-w', '-t', String(START_TIMEOUT_SECONDS), 'start'],
    { cwd: paths.regionDir, env: input.env },
  );
  if (outcome.exitCode !== 0) {
    const tail = (await logTail(paths.logFile, 12, logStart)) || (outcome.stderr || outcome.stdout).trim();
    throw clusterError(
      input.region,
      `PostgreSQL ${input.binaries.major} did not start on ${input.address.host}:${input.address.port} (pg_ctl exit ${outcome.exitCode ?? 'by signal'}); the last lines of ${paths.logFile}:\n${tail}`,
    );
  }
}
