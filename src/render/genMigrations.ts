import { linkWarnings } from '../config/linkWarnings.js';
import type { Config } from '../config/types.js';
import { ResidencyError } from '../errors.js';
import { SUM_FILE } from '../format/checksum.js';
import { desiredState, renderState, STATE_FILE, type StateFile } from './desiredState.js';
import { renderRegion, type TemplateSources } from './renderRegion.js';

/** The narrow file access generation needs; tests pass an in-memory one. */
export interface GeneratedFs {
  /** The file's text, or undefined when it does not exist. */
  read(path: string): Promise<string | undefined>;
  write(path: string, content: string): Promise<void>;
  /** File names directly in a folder; empty when the folder does not exist. */
  list(dir: string): Promise<string[]>;
  remove(path: string): Promise<void>;
}

export interface GenMigrationsInput {
  readonly config: Config;
  readonly templates: TemplateSources;
  readonly outDir: string;
  /** Compare only; write nothing. */
  readonly check: boolean;
  /** Regenerate even when regions.yaml changed since the recorded generation. */
  readonly force: boolean;
  readonly fs: GeneratedFs;
}

export interface RegionGenResult {
  readonly region: string;
  readonly status: 'unchanged' | 'written' | 'stale';
  /** Files written (or, with check, files that differ), relative to outDir. */
  readonly files: readonly string[];
  /** What regions.yaml weakened for this region (see linkWarnings), for the CLI to print. */
  readonly warnings: readonly string[];
}

/** Every file a region's folder should hold, by name. */
function expectedFiles(
  config: Config,
  region: string,
  templates: TemplateSources,
  previous: StateFile | undefined,
  force: boolean,
  outDir: string,
): Map<string, string> {
  const rendered = renderRegion(config, region, templates);
  const desired = desiredState(config, region);
  const last = previous?.generations.at(-1);
  if (last !== undefined && !force && JSON.stringify(last.desired) !== JSON.stringify(desired)) {
    throw new ResidencyError(
      'CONFIG',
      `regions.yaml changed since ${outDir}/${region} was generated. Migrations that a database has applied are never rewritten, and appending migrations for a changed regions.yaml is not supported yet. If no database has applied ${outDir}/${region}, run \`pg-residency gen-migrations --force\` to generate it again from scratch.`,
    );
  }
  const state: StateFile = {
    format: 1,
    generations: [{ generation: 1, files: rendered.migrations.map((m) => m.name), desired }],
  };
  const files = new Map<string, string>();
  for (const migration of rendered.migrations) files.set(migration.name, migration.content);
  files.set(SUM_FILE, rendered.sum);
  files.set(STATE_FILE, renderState(state));
  return files;
}

function parseState(text: string | undefined, path: string): StateFile | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as StateFile;
  } catch (error) {
    throw new ResidencyError('CONFIG', `${path} is not valid JSON; restore it from version control`, { cause: error });
  }
}

/**
 * Renders every region's migrations and writes them under `outDir/<region>/`,
 * or, with `check`, reports which files differ. Everything is rendered before
 * anything is written, so a failure writes no file.
 */
export async function genMigrations(input: GenMigrationsInput): Promise<RegionGenResult[]> {
  const { config, outDir, fs } = input;
  const plans: { region: string; expected: Map<string, string>; existing: string[] }[] = [];
  for (const region of config.regions) {
    const dir = `${outDir}/${region.name}`;
    const state = parseState(await fs.read(`${dir}/${STATE_FILE}`), `${dir}/${STATE_FILE}`);
    const expected = expectedFiles(config, region.name, input.templates, state, input.force || input.check, outDir);
    plans.push({ region: region.name, expected, existing: await fs.list(dir) });
  }
  const results: RegionGenResult[] = [];
  for (const { region, expected, existing } of plans) {
    const dir = `${outDir}/${region}`;
    const changed: string[] = [];
    for (const [name, content] of expected) {
      if ((await fs.read(`${dir}/${name}`)) !== content) changed.push(name);
    }
    const extra = existing.filter((name) => !expected.has(name) && (name.endsWith('.sql') || name === SUM_FILE || name === STATE_FILE));
    const differing = [...changed, ...extra].sort();
    if (!input.check) {
      for (const name of changed) await fs.write(`${dir}/${name}`, expected.get(name)!);
      for (const name of extra) await fs.remove(`${dir}/${name}`);
    }
    const status = differing.length === 0 ? 'unchanged' : input.check ? 'stale' : 'written';
    const warnings = linkWarnings(config.regions.find((r) => r.name === region)!);
    results.push({ region, status, files: differing.map((name) => `${region}/${name}`), warnings });
  }
  return results;
}
