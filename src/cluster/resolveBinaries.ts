import { access, readFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Major } from '../config/types.js';
import { ResidencyError } from '../errors.js';
import { clusterError } from './clusterError.js';
import { binariesPackageAlias, installCommand } from './embeddedPostgresVersions.js';
import { hydrateSymlinks } from './hydrateSymlinks.js';

/** Where the server programs of one PostgreSQL major live. */
export interface PgBinaries {
  readonly major: Major;
  /** The package's version, which is the server's version: `10.23.0-beta.6`. */
  readonly version: string;
  readonly packageDir: string;
  readonly initdb: string;
  readonly pgCtl: string;
  readonly postgres: string;
}

/**
 * Finds the binaries of `major` in the npm package aliased `pg<major>`, looked
 * up the way Node resolves this package's own dependencies, and recreates any
 * library symlink the package's postinstall did not. `region` only names the
 * culprit in errors.
 * @throws ResidencyError CLUSTER when the alias is missing or holds another major
 * @example await resolveBinaries(18, 'aus') // { pgCtl: '/app/node_modules/pg18/native/bin/pg_ctl', ... }
 */
export async function resolveBinaries(major: Major, region: string): Promise<PgBinaries> {
  const found = await locateBinaries(major);
  if (found === undefined) throw notInstalled(major, region);
  const { packageDir, version } = found;
  if (Number(version.split('.')[0]) !== major) {
    throw notInstalled(
      major,
      region,
      `${packageDir} holds PostgreSQL ${version}, not ${major}; reinstall it with: ${installCommand(major)}`,
    );
  }
  const bin = join(packageDir, 'native', 'bin');
  const binaries: PgBinaries = {
    major,
    version,
    packageDir,
    initdb: join(bin, 'initdb'),
    pgCtl: join(bin, 'pg_ctl'),
    postgres: join(bin, 'postgres'),
  };
  for (const program of [binaries.initdb, binaries.pgCtl, binaries.postgres]) {
    try {
      await access(program, constants.X_OK);
    } catch (error) {
      throw notInstalled(major, region, `${program} is missing or not executable; reinstall it with: ${installCommand(major)}`, error);
    }
  }
  try {
    await hydrateSymlinks(packageDir);
  } catch (error) {
    throw clusterError(
      region,
      `cannot recreate the library symlinks of ${packageDir} (${(error as Error).message}); run: (cd ${packageDir} && node scripts/hydrate-symlinks.js)`,
      error,
    );
  }
  return binaries;
}

/**
 * The package aliased `pg<major>` and its version, looked up the way Node
 * resolves pg-residency's own dependencies, then from the working directory
 * (a project that installed the binaries beside a global pg-residency).
 */
export async function locateBinaries(major: Major): Promise<{ packageDir: string; version: string } | undefined> {
  const alias = binariesPackageAlias(major);
  // Not require.resolve(`${alias}/package.json`): these packages' "exports" hide it.
  const searchPaths = new Set([
    ...(createRequire(import.meta.url).resolve.paths(alias) ?? []),
    ...(createRequire(join(process.cwd(), 'index.js')).resolve.paths(alias) ?? []),
  ]);
  for (const nodeModules of searchPaths) {
    const packageDir = join(nodeModules, alias);
    const version = await packageVersion(packageDir);
    if (version !== undefined) return { packageDir, version };
  }
  return undefined;
}

async function packageVersion(packageDir: string): Promise<string | undefined> {
  try {
    const manifest = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof manifest.version === 'string' ? manifest.version : undefined;
  } catch {
    return undefined;
  }
}

function notInstalled(major: Major, region: string, detail?: string, cause?: unknown): ResidencyError {
  if (detail !== undefined) return clusterError(region, `PostgreSQL ${major} is not installed properly: ${detail}`, cause);
  return new ResidencyError(
    'CLUSTER',
    `PostgreSQL ${major} is not installed for region "${region}"; add it with: ${installCommand(major)}`,
  );
}
