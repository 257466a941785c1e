import { readFile } from 'node:fs/promises';
import { ConfigError } from '../errors.js';
import type { Env } from './expandEnv.js';
import { parseConfig } from './parseConfig.js';
import type { Config } from './types.js';

/** Reads and validates a regions.yaml file: the only disk read of the config stage. */
export async function loadConfig(path: string, env: Env): Promise<Config> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : String(error);
    throw new ConfigError(path, [{ path: '', message: `cannot read it (${reason}); pass --config PATH` }]);
  }
  return parseConfig(text, path, env);
}
