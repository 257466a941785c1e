import { chmod, chown, mkdir, rm, writeFile } from 'node:fs/promises';
import type { ServerUser } from './serverUser.js';

/**
 * Creates a directory (mode 0700) that the server account owns, so that
 * initdb, pg_ctl and postgres, running as that account, can write into it.
 * `user` is undefined when the servers run as the current user.
 */
export async function makeServerDir(path: string, user: ServerUser | undefined): Promise<void> {
  await mkdir(path, { recursive: true, mode: 0o700 });
  await chmod(path, 0o700);
  if (user !== undefined) await chown(path, user.uid, user.gid);
}

/** Writes a file (mode 0600) that the server account owns, replacing any previous one. */
export async function writeServerFile(path: string, text: string, user: ServerUser | undefined): Promise<void> {
  await rm(path, { force: true });
  await writeFile(path, text, { mode: 0o600 });
  if (user !== undefined) await chown(path, user.uid, user.gid);
}
