import { readFileSync } from 'node:fs';

/** Milliseconds a process has run on a CPU (/proc/<pid>/schedstat); throws when it is gone. */
export function cpuMs(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
}

/** cpuMs of a process that may not be there (a pooler the fleet lacks): 0 for none. */
export function cpuOf(pid: number | undefined): number {
  return pid === undefined ? 0 : cpuMs(pid);
}

/** cpuMs, or undefined when the process is gone or /proc is unreadable. */
export function cpuMsIfAlive(pid: number): number | undefined {
  try {
    return cpuMs(pid);
  } catch {
    return undefined;
  }
}
