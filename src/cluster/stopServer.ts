import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isPostgresProcess } from './runningServer.js';

/**
 * Stops a server with a fast shutdown (SIGINT: running transactions are rolled
 * back) and waits until it has removed its `postmaster.pid` or exited. This is
 * what `pg_ctl stop -m fast` does, without needing the binaries.
 * @returns false when it is still running after `timeoutMs`
 */
export async function stopServer(pid: number, dataDir: string, timeoutMs = 30_000): Promise<boolean> {
  try {
    process.kill(pid, 'SIGINT');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return true;
    throw error;
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await exists(join(dataDir, 'postmaster.pid'))) || !(await isPostgresProcess(pid))) return true;
    await sleep(50);
  }
  return false;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
