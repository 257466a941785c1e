import { lstat, readFile, symlink } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';

interface SymlinkEntry {
  readonly source: string;
  readonly target: string;
}

/**
 * Recreates the library symlinks listed in `native/pg-symlinks.json` that are
 * missing. The package's postinstall script does this, but npm 12 skips
 * install scripts that are not approved, and the server cannot load its
 * libraries without them. Links are relative, like the postinstall makes them,
 * so that moving `node_modules` keeps them working.
 * @returns the number of links created
 */
export async function hydrateSymlinks(packageDir: string): Promise<number> {
  const list = JSON.parse(await readFile(join(packageDir, 'native', 'pg-symlinks.json'), 'utf8')) as SymlinkEntry[];
  let created = 0;
  for (const { source, target } of list) {
    const link = join(packageDir, target);
    if (await exists(link)) continue;
    await symlink(relative(dirname(link), join(packageDir, source)) || basename(source), link);
    created += 1;
  }
  return created;
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}
