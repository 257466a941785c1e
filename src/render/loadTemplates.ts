import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join, relative, sep } from 'node:path';
import type { TemplateSources } from './renderRegion.js';

/** The templates shipped with this package. */
export const DEFAULT_TEMPLATES_DIR = fileURLToPath(new URL('../../templates', import.meta.url));

/** Reads every `*.sql.hbs` below a folder, keyed `native/details_target` style. */
export async function loadTemplates(dir: string = DEFAULT_TEMPLATES_DIR): Promise<TemplateSources> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
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
