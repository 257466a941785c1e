import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { GeneratedFs } from './genMigrations.js';

/** GeneratedFs on the real disk. */
export const nodeGeneratedFs: GeneratedFs = {
  async read(path) {
    try {
      return await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  },
  async write(path, content) {
    // One system call per file in the common case; the folder is made on the first miss.
    try {
      await writeFile(path, content, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, content, 'utf8');
    }
  },
  async list(dir) {
    try {
      return (await readdir(dir)).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  },
  async ensureDir(dir) {
    await mkdir(dir, { recursive: true });
  },
  async remove(path) {
    await rm(path, { force: true });
  },
};
