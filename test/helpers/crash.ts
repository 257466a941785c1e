import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { regionPaths } from '../../src/cluster/regionPaths.js';
import type { ScratchFleet } from './scratchFleet.js';

/** The pid of a region's postmaster, from its data directory. */
export function postmasterPid(fleet: ScratchFleet, region: string): number {
  const { dataDir } = regionPaths(fleet.stateDir, region, fleet.ports[region]!);
  return Number(readFileSync(`${dataDir}/postmaster.pid`, 'utf8').split('\n')[0]);
}

/**
 * SIGKILLs a region's postmaster, as a crash would, and waits until the kernel
 * has ended it (a zombie or gone). Its backends notice and exit on their own;
 * `fleet.startRegion` then recovers the stale lock file and replays the WAL.
 */
export async function crashRegion(fleet: ScratchFleet, region: string): Promise<number> {
  const pid = postmasterPid(fleet, region);
  process.kill(pid, 'SIGKILL');
  for (;;) {
    let state: string;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    } catch {
      return pid;
    }
    if (state === 'Z' || state === 'X') return pid;
    await sleep(10);
  }
}

/** Every process of a region's server: its postmaster and the postmaster's children. */
function serverPids(fleet: ScratchFleet, region: string): number[] {
  const postmaster = postmasterPid(fleet, region);
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === postmaster) children.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return [postmaster, ...children];
}

/**
 * SIGSTOPs every process of a region's server (by pid), as a hung host would
 * look: connections are accepted by the kernel and never answered. Returns
 * the function that SIGCONTs them; call it in a `finally`.
 */
export function freezeRegion(fleet: ScratchFleet, region: string): () => void {
  const pids = serverPids(fleet, region);
  for (const pid of pids) process.kill(pid, 'SIGSTOP');
  return () => {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // gone
      }
    }
  };
}
