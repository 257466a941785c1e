import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ResidencyError } from '../errors.js';

/** The OS account the dev servers run as when pg-residency runs as root. */
export interface ServerUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

/** PostgreSQL refuses to run as root; this account runs it instead. */
export const SERVER_USER_NAME = 'postgres';

let lookup: Promise<ServerUser | undefined> | undefined;

/**
 * The account to run initdb, pg_ctl and postgres as: `undefined` (the current
 * user) unless this process is root, in which case the `postgres` OS user.
 * @throws ResidencyError CLUSTER when running as root and there is no `postgres` user
 */
export function serverUser(): Promise<ServerUser | undefined> {
  lookup ??= findServerUser();
  return lookup;
}

async function findServerUser(): Promise<ServerUser | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const run = promisify(execFile);
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', SERVER_USER_NAME]), run('id', ['-g', SERVER_USER_NAME])]);
    return { name: SERVER_USER_NAME, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch (error) {
    throw new ResidencyError(
      'CLUSTER',
      `pg-residency runs as root, which PostgreSQL refuses, and there is no "${SERVER_USER_NAME}" OS user to run the dev servers as; create one (useradd --system ${SERVER_USER_NAME}) or run as a normal user`,
      { cause: error },
    );
  }
}
