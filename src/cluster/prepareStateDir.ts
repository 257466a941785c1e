import { chmod, mkdir, stat } from 'node:fs/promises';
import type { ServerUser } from './serverUser.js';

/**
 * Creates the state directory. When the servers run as another account (we
 * are root), it also gets the "others may traverse" bit (a `mkdtemp` directory
 * is 0700), so that account can reach its region directories; nothing else
 * about an existing directory changes, and nothing in it becomes readable.
 */
export async function prepareStateDir(stateDir: string, user: ServerUser | undefined): Promise<void> {
  await mkdir(stateDir, { recursive: true });
  if (user === undefined) return;
  const { mode } = await stat(stateDir);
  if ((mode & 0o001) === 0) await chmod(stateDir, (mode & 0o7777) | 0o001);
}
