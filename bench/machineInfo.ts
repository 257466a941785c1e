import { cpus, loadavg, platform, release, totalmem } from 'node:os';

/** Where the benchmark ran, for reading its numbers. */
export interface MachineInfo {
  readonly cores: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  /** The 1-minute load average when the benchmark started. */
  readonly load: number;
}

/** Reads this machine's description. */
export function machineInfo(): MachineInfo {
  const cpuList = cpus();
  return {
    cores: cpuList.length,
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${platform()} ${release()}`,
    node: process.version,
    load: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}
