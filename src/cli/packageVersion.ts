import { readFileSync } from 'node:fs';

/**
 * pg-residency's own version, read from the package.json beside this module
 * (`dist/cli/` or `src/cli/`, two folders up), never the working directory's:
 * `npx pg-residency --version` in an application prints pg-residency's.
 */
export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return String(manifest.version);
}
