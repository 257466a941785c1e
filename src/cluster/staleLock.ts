import { readdir, readFile, readlink, realpath, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { clusterError } from './clusterError.js';
import { isPostgresProcess } from './runningServer.js';

/** How long the children of a killed postmaster get to notice and exit. */
const SURVIVOR_WAIT_MS = 10_000;

/**
 * Removes the `postmaster.pid` a killed server left behind, so that the next
 * start succeeds. PostgreSQL refuses to start while that file names a live
 * process, and a server killed with SIGKILL stays a zombie (which counts as
 * live) where nothing reaps it, e.g. in a container. The file is removed only
 * when its pid is not a running postgres and no process still works in the
 * data directory (a backend of the killed server): two servers on one data
 * directory would corrupt it.
 * @returns the pid of the killed server when a stale file was removed
 * @throws ResidencyError CLUSTER naming the region, the surviving pids and the fix
 * The killed server's socket lock files (`<socketDir>/.s.PGSQL.<port>.lock`)
 * that name the same pid go too.
 * @example await clearStaleLock('usa', '.pg-residency/usa/data', '/abs/.pg-residency/usa/run') // 4242
 */
export async function clearStaleLock(region: string, dataDir: string, socketDir: string): Promise<number | undefined> {
  const lockFile = join(dataDir, 'postmaster.pid');
  let text: string;
  try {
    text = await readFile(lockFile, 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number(text.split('\n')[0]);
  if (Number.isInteger(pid) && pid > 0 && (await isPostgresProcess(pid))) return undefined;
  const deadline = Date.now() + SURVIVOR_WAIT_MS;
  let survivors = await processesIn(dataDir);
  while (survivors.length > 0 && Date.now() < deadline) {
    await sleep(100);
    survivors = await processesIn(dataDir);
  }
  if (survivors.length > 0) {
    throw clusterError(
      region,
      `its server (pid ${pid}) is gone but left processes ${survivors.join(', ')} running in ${dataDir}; stop them (kill ${survivors.join(' ')}), then run "pg-residency dev up" again`,
    );
  }
  await rm(lockFile, { force: true });
  for (const name of await readdir(socketDir).catch(() => [] as string[])) {
    if (!/^\.s\.PGSQL\.\d+\.lock$/.test(name)) continue;
    const holder = Number((await readFile(join(socketDir, name), 'utf8').catch(() => '')).split('\n')[0]);
    if (holder === pid) await rm(join(socketDir, name), { force: true });
  }
  return pid;
}

/** Live processes whose working directory is `dir` (PostgreSQL's processes run in their data directory). */
async function processesIn(dir: string): Promise<number[]> {
  let target: string;
  let entries: string[];
  try {
    target = await realpath(dir);
    entries = await readdir('/proc');
  } catch {
    return [];
  }
  const found: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if ((await readlink(`/proc/${entry}/cwd`)) === target && (await isPostgresProcess(Number(entry)))) found.push(Number(entry));
    } catch {
      // gone, or not ours to inspect
    }
  }
  return found;
}
