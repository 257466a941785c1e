import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';

/** The files of one region's dev server inside the state directory. */
export interface RegionPaths {
  /** `<stateDir>/<region>`: everything `dev down --purge` removes. */
  readonly regionDir: string;
  readonly dataDir: string;
  readonly logFile: string;
  /** Where the server's Unix socket lives; outside regionDir when that path is too long. */
  readonly socketDir: string;
}

// sizeof(sockaddr_un.sun_path) is 108 on Linux, and the path needs its NUL.
const MAX_SOCKET_PATH_BYTES = 107;

/**
 * The paths of a region's server. `dataDir` and `logFile` keep the form of
 * `stateDir` (relative stays relative, for printing); `socketDir` is absolute
 * and, when `<regionDir>/run/.s.PGSQL.<port>` would exceed the 107 bytes a
 * Unix socket path may have, falls back to `/tmp/pg-residency-<hash of
 * regionDir>` (`/tmp` rather than $TMPDIR, which may be long too).
 * @example regionPaths('.pg-residency', 'usa', 54310).dataDir // '.pg-residency/usa/data'
 */
export function regionPaths(stateDir: string, region: string, port: number): RegionPaths {
  const regionDir = join(stateDir, regionDirName(region));
  let socketDir = resolve(regionDir, 'run');
  if (Buffer.byteLength(join(socketDir, `.s.PGSQL.${port}`)) > MAX_SOCKET_PATH_BYTES) {
    const hash = createHash('sha256').update(resolve(regionDir)).digest('hex').slice(0, 16);
    socketDir = `/tmp/pg-residency-${hash}`;
  }
  return { regionDir, dataDir: join(regionDir, 'data'), logFile: join(regionDir, 'postgres.log'), socketDir };
}

/**
 * A region name as one safe path segment: any byte other than a letter, digit,
 * `_`, `-` or a non-leading `.` is percent-encoded, so `../x` cannot escape the
 * state directory.
 * @example regionDirName('we"ird') // 'we%22ird'
 */
export function regionDirName(region: string): string {
  return [...Buffer.from(region, 'utf8')]
    .map((byte, i) => {
      const c = String.fromCharCode(byte);
      return /[A-Za-z0-9_-]/.test(c) || (c === '.' && i > 0) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
}
