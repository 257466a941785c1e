import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ResidencyError } from '../errors.js';
import { clusterError } from './clusterError.js';
import type { RegionAddress } from './regionAddress.js';
import type { RegionPaths } from './regionPaths.js';
import type { PgBinaries } from './resolveBinaries.js';
import { runServerCommand } from './runServerCommand.js';
import { writeServerFile } from './serverOwnedFiles.js';
import type { ServerUser } from './serverUser.js';

/** What {@link initDataDir} needs about one region. */
export interface InitDataDirInput {
  readonly region: string;
  readonly binaries: PgBinaries;
  readonly user: ServerUser | undefined;
  readonly paths: RegionPaths;
  readonly address: RegionAddress;
  readonly superuserPassword: string;
  readonly env: NodeJS.ProcessEnv;
}

/**
 * Runs initdb for a region whose data directory holds no cluster yet (the
 * regionDir must exist and belong to the server account): the url's user as
 * superuser with `superuserPassword`, UTF8 without locale, trust over the Unix
 * socket and SCRAM over TCP. The password reaches initdb through a 0600 file that
 * is removed afterwards, never through its arguments.
 * @throws ResidencyError CLUSTER with initdb's own words when it fails
 */
export async function initDataDir(input: InitDataDirInput): Promise<void> {
  const { paths, user } = input;
  // A directory without PG_VERSION is what a killed initdb leaves; start over.
  await rm(paths.dataDir, { recursive: true, force: true });
  const pwFile = join(paths.regionDir, '.superuser-password');
  await writeServerFile(pwFile, `${input.superuserPassword}\n`, user);
  try {
    const outcome = await runServerCommand(
      user,
      input.binaries.initdb,
      [
        '-D',
        resolve(paths.dataDir),
        '-U',
        input.address.user,
        '-E',
        'UTF8',
        '--no-locale',
        '--auth-local=trust',
        // SCRAM (PostgreSQL 10+): initdb's md5 would also set password_encryption=md5, deprecated since 18
        '--auth-host=scram-sha-256',
        `--pwfile=${resolve(pwFile)}`,
        // Dev data is disposable: skip the fsync of every new file.
        '--no-sync',
      ],
      { cwd: paths.regionDir, env: input.env },
    );
    if (outcome.exitCode !== 0) throw initdbFailed(input, outcome.exitCode, outcome.stderr || outcome.stdout);
  } finally {
    await rm(pwFile, { force: true });
  }
}

function initdbFailed(input: InitDataDirInput, exitCode: number | null, output: string): ResidencyError {
  const lines = output.trim().split('\n').slice(-8).join('\n');
  const hint = /permission denied/i.test(output)
    ? `\nthe "${input.user?.name ?? 'current'}" OS user must be able to reach ${input.paths.regionDir}: make its parent directories traversable (chmod o+x) or use another --state-dir`
    : '';
  return clusterError(input.region, `initdb failed (exit ${exitCode ?? 'by signal'}):\n${lines}${hint}`);
}
