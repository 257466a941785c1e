import type { Config, Major } from '../config/types.js';
import { dataDirMajor } from './dataDirMajor.js';
import { runningPooler } from './devPooler.js';
import { regionAddress } from './regionAddress.js';
import { regionPaths } from './regionPaths.js';
import { runningServer } from './runningServer.js';

/** Options of {@link devStatus}. */
export interface DevStatusOptions {
  readonly stateDir: string;
}

/** The state of one region's dev server. */
export interface DevStatusResult {
  readonly region: string;
  readonly running: boolean;
  /** The configured major. */
  readonly major: Major;
  /** The major that initialised the data directory, when there is one; may differ from `major`. */
  readonly initialisedBy?: number;
  readonly host: string;
  /** The port it listens on when running, else the configured one. */
  readonly port: number;
  readonly dataDir: string;
  readonly pid?: number;
  /** The region's link pooler (regions.yaml `pooler:`), when it has one: where, and its pid when it runs. */
  readonly pooler?: { readonly host: string; readonly port: number; readonly pid?: number };
}

/**
 * Reports, without changing anything, whether each region's dev server runs.
 * @example await devStatus(config, { stateDir: '.pg-residency' })
 * // [{ region: 'usa', running: true, major: 10, initialisedBy: 10, host: '127.0.0.1', port: 54310, dataDir: '.pg-residency/usa/data', pid: 4242 }, ...]
 */
export async function devStatus(config: Config, options: DevStatusOptions): Promise<DevStatusResult[]> {
  return Promise.all(
    config.regions.map(async (region) => {
      const address = regionAddress(region);
      const { dataDir } = regionPaths(options.stateDir, region.name, address.port);
      const [running, initialisedBy, pooler] = await Promise.all([
        runningServer(dataDir),
        dataDirMajor(dataDir),
        region.pooler === undefined ? undefined : runningPooler(options.stateDir, region),
      ]);
      return {
        region: region.name,
        running: running !== undefined,
        major: region.postgres,
        ...(initialisedBy === undefined ? {} : { initialisedBy }),
        host: address.host,
        port: running?.port ?? address.port,
        dataDir,
        ...(running === undefined ? {} : { pid: running.pid }),
        ...(region.pooler === undefined
          ? {}
          : { pooler: { host: region.pooler.host, port: region.pooler.port, ...(pooler === undefined ? {} : { pid: pooler }) } }),
      };
    }),
  );
}
