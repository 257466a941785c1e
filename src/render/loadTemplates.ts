import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join, relative, sep } from 'node:path';
import { ResidencyError } from '../errors.js';
import type { TemplateSources } from './renderRegion.js';

/** The templates shipped with this package. */
export const DEFAULT_TEMPLATES_DIR = fileURLToPath(new URL('../../templates', import.meta.url));

/**
 * Reads every `*.sql.hbs` below a folder, keyed `native/details_target` style.
 * A folder that cannot be read is a TEMPLATE error naming it and what to do.
 */
export async function loadTemplates(dir: string = DEFAULT_TEMPLATES_DIR): Promise<TemplateSources> {
  let entries;
  try {
    entries = await readdir(dir, { recursive: true, withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'does not exist' : code === 'ENOTDIR' ? 'is not a folder' : `cannot be read (${code ?? String(error)})`;
    throw new ResidencyError(
      'TEMPLATE',
      `the templates folder ${JSON.stringify(dir)} ${reason}; pass --templates a folder of *.sql.hbs files, or leave it out to use the templates shipped with pg-residency`,
      { cause: error },
    );
  }
  const sources: Record<string, string> = {};
  for (const entry of entries) {
    if (!entry.isFile() || !entry.name.endsWith('.sql.hbs')) continue;
    const path = join(entry.parentPath, entry.name);
    const key = relative(dir, path)
      .split(sep)
      .join('/')
      .replace(/\.sql\.hbs$/, '');
    sources[key] = await readFile(path, 'utf8');
  }
  return sources;
}
