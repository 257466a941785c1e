import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The PostgreSQL major a data directory was initialised by, from its
 * `PG_VERSION`, or `undefined` when it has not been initialised (no such
 * file). Any other read error is thrown: `dev up` re-initialises a directory
 * without PG_VERSION, so "cannot tell" must not pass for "empty".
 * @example await dataDirMajor('.pg-residency/usa/data') // 10
 */
export async function dataDirMajor(dataDir: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(join(dataDir, 'PG_VERSION'), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
  const major = Number.parseInt(text, 10);
  return Number.isNaN(major) ? undefined : major;
}
