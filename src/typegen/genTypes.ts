import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Config } from '../config/types.js';
import { renderTypes } from './renderTypes.js';

/** Options of {@link genTypes}. */
export interface GenTypesInput {
  readonly config: Config;
  /** The TypeScript file to write: `src/residency-types.ts` from the CLI. */
  readonly out: string;
  /** Write nothing; report `stale` when the file is not what the config gives. */
  readonly check: boolean;
  /** How the header names the config; default its file name. */
  readonly source?: string;
}

/** What gen-types did. */
export interface GenTypesResult {
  readonly file: string;
  readonly status: 'written' | 'unchanged' | 'stale';
  /** The entities typed, as `schema.name`. */
  readonly entities: readonly string[];
}

/**
 * Writes the TypeScript types of a config's entities (see renderTypes) to
 * `out`, creating its folder; rewrites nothing that is already current.
 * @example await genTypes({ config, out: 'src/residency-types.ts', check: false }) // { file: 'src/residency-types.ts', status: 'written', entities: ['shared.identity'] }
 */
export async function genTypes(input: GenTypesInput): Promise<GenTypesResult> {
  const text = renderTypes(input.config, input.source ?? 'regions.yaml');
  const entities = input.config.entities.map((e) => `${e.schema}.${e.name}`);
  const current = await readFile(input.out, 'utf8').catch(() => undefined);
  if (current === text) return { file: input.out, status: 'unchanged', entities };
  if (input.check) return { file: input.out, status: 'stale', entities };
  await mkdir(dirname(input.out), { recursive: true });
  await writeFile(input.out, text);
  return { file: input.out, status: 'written', entities };
}

/** The name the header gives a config path: its file name. */
export const sourceName = (configPath: string) => basename(configPath);
