import { readFileSync } from 'node:fs';
import { parseConfig } from '../../src/config/parseConfig.js';
import type { Config } from '../../src/config/types.js';
import { loadTemplates } from '../../src/render/loadTemplates.js';
import type { TemplateSources } from '../../src/render/renderRegion.js';

/** A fixture config from test/fixtures (or the root regions.yaml for 'seed'). */
export function fixtureConfig(name: string, env: Record<string, string> = {}): Config {
  const url = name === 'seed' ? new URL('../../regions.yaml', import.meta.url) : new URL(`../fixtures/${name}.yaml`, import.meta.url);
  return parseConfig(readFileSync(url, 'utf8'), `${name}.yaml`, env);
}

let templates: Promise<TemplateSources> | undefined;
/** The shipped templates, read once per test file. */
export function shippedTemplates(): Promise<TemplateSources> {
  templates ??= loadTemplates();
  return templates;
}
