import { readFileSync } from 'node:fs';

/** Milliseconds a process has run on a CPU (/proc/<pid>/schedstat); throws when it is gone. */
export function cpuMs(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
}
