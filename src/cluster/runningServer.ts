import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A dev server found running on a data directory. */
export interface RunningServer {
  readonly pid: number;
  readonly port: number;
}

/**
 * The server running on `dataDir`, read from its `postmaster.pid`, or
 * `undefined`. A pid file whose process is gone, is a zombie, or is not a
 * postgres process (the pid was reused) counts as not running.
 * @example await runningServer('.pg-residency/usa/data') // { pid: 4242, port: 54310 }
 */
export async function runningServer(dataDir: string): Promise<RunningServer | undefined> {
  let lines: string[];
  try {
    lines = (await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  // Line 4 of postmaster.pid is the port since PostgreSQL 9.1.
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return (await isPostgresProcess(pid)) ? { pid, port } : undefined;
}

/** Whether `pid` is a live (not zombie) postgres process. */
export async function isPostgresProcess(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: alive, but another user's; only /proc can say more.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Field 3, after the parenthesised command name, is the state.
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return false;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('postgres');
  } catch {
    // No /proc here: trust the signal test.
    return true;
  }
}
