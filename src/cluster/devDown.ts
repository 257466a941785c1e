import { readdir, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config, Region } from '../config/types.js';
import type { ResidencyError } from '../errors.js';
import { clusterError } from './clusterError.js';
import { SECRETS_FILE_NAME } from './devSecrets.js';
import { TLS_DIR_NAME } from './devTls.js';
import { regionAddress } from './regionAddress.js';
import { regionPaths } from './regionPaths.js';
import { runningServer } from './runningServer.js';
import { stopServer } from './stopServer.js';
import { stopDevPooler } from './devPooler.js';
import { toClusterError } from './toClusterError.js';

/** Options of {@link devDown}. */
export interface DevDownOptions {
  readonly stateDir: string;
  /** Also delete each region's directory: its data, log and socket directory. */
  readonly purge?: boolean;
  /** Also stop servers of region directories that the config no longer lists (a region removed from regions.yaml); `dev down` does. */
  readonly stopUnlisted?: boolean;
}

/** What `dev down` did for one region. */
export interface DevDownResult {
  readonly region: string;
  readonly status: 'stopped' | 'not-running' | 'failed';
  readonly dataDir: string;
  /** Whether the region's directory was deleted. */
  readonly purged: boolean;
  readonly error?: ResidencyError;
}

/**
 * Stops each region's dev server (fast shutdown), in parallel. With `purge`,
 * also deletes `<stateDir>/<region>` for every configured region whose server
 * is stopped; and when that leaves no region directory at all in the state
 * directory, deletes `secrets.env`, the TLS files and the state directory too, so that the
 * next `dev up` starts from nothing. Directories of regions no longer in the
 * config are left alone, and keep secrets.env alive with them.
 * @example await devDown(config, { stateDir: '.pg-residency', purge: true })
 */
export async function devDown(config: Config, options: DevDownOptions): Promise<DevDownResult[]> {
  const purge = options.purge ?? false;
  const results = await Promise.all(config.regions.map((region) => regionDown(region, options.stateDir, purge)));
  // a region removed from regions.yaml may still have a server running: `dev down` stops it too (its data stays)
  const unlisted = !options.stopUnlisted
    ? []
    : await Promise.all((await unlistedRegions(config, options.stateDir)).map((name) => unlistedDown(name, options.stateDir)));
  results.push(...unlisted.filter((r) => r.status !== 'not-running'));
  if (purge && results.every((r) => r.status !== 'failed')) await removeEmptyState(options.stateDir);
  return results;
}

async function regionDown(region: Region, stateDir: string, purge: boolean): Promise<DevDownResult> {
  const paths = regionPaths(stateDir, region.name, regionAddress(region).port);
  const result = { region: region.name, dataDir: paths.dataDir };
  try {
    // the pooler first: its server connections would only be cut
    if (region.pooler !== undefined) await stopDevPooler(stateDir, region);
    const running = await runningServer(paths.dataDir);
    if (running !== undefined && !(await stopServer(running.pid, paths.dataDir))) {
      throw clusterError(region.name, `its server (pid ${running.pid}) did not stop within 30 s; see ${paths.logFile}`);
    }
    if (purge) {
      await rm(paths.regionDir, { recursive: true, force: true });
      await rm(paths.socketDir, { recursive: true, force: true });
    }
    return { ...result, status: running === undefined ? 'not-running' : 'stopped', purged: purge };
  } catch (error) {
    return { ...result, status: 'failed', purged: false, error: toClusterError(region.name, error) };
  }
}

/** Region directories in the state directory that regions.yaml no longer names. */
async function unlistedRegions(config: Config, stateDir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(stateDir, { withFileTypes: true });
  } catch {
    return [];
  }
  const listed = new Set(config.regions.map((r) => r.name));
  return entries.filter((e) => e.isDirectory() && e.name !== TLS_DIR_NAME && !listed.has(e.name)).map((e) => e.name);
}

async function unlistedDown(region: string, stateDir: string): Promise<DevDownResult> {
  const dataDir = join(stateDir, region, 'data');
  try {
    const running = await runningServer(dataDir);
    if (running === undefined) return { region, dataDir, status: 'not-running', purged: false };
    if (!(await stopServer(running.pid, dataDir))) throw clusterError(region, `its server (pid ${running.pid}) did not stop within 30 s`);
    return { region, dataDir, status: 'stopped', purged: false };
  } catch (error) {
    return { region, dataDir, status: 'failed', purged: false, error: toClusterError(region, error) };
  }
}

async function removeEmptyState(stateDir: string): Promise<void> {
  let entries;
  try {
    entries = await readdir(stateDir, { withFileTypes: true });
  } catch {
    return;
  }
  if (entries.some((entry) => entry.isDirectory() && entry.name !== TLS_DIR_NAME)) return;
  await rm(join(stateDir, SECRETS_FILE_NAME), { force: true });
  await rm(join(stateDir, TLS_DIR_NAME), { recursive: true, force: true });
  await rmdir(stateDir).catch(() => undefined);
}
