import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The PostgreSQL major a data directory was initialised by, from its
 * `PG_VERSION`, or `undefined` when it has not been initialised.
 * @example await dataDirMajor('.pg-residency/usa/data') // 10
 */
export async function dataDirMajor(dataDir: string): Promise<number | undefined> {
  try {
    const major = Number.parseInt(await readFile(join(dataDir, 'PG_VERSION'), 'utf8'), 10);
    return Number.isNaN(major) ? undefined : major;
  } catch {
    return undefined;
  }
}
