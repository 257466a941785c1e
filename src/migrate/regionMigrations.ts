import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { ResidencyError } from '../errors.js';
import { phaseOf, type Phase } from '../format/migrationFile.js';
import { SUM_FILE, verifySum } from '../format/checksum.js';
import { parseState, STATE_FILE } from '../format/stateFile.js';

export interface MigrationFile {
  /** node-pg-migrate's name: the file name without `.sql`. */
  readonly name: string;
  readonly file: string;
  readonly content: string;
  readonly phase: Phase;
  readonly sha256: string;
}

export interface RegionMigrations {
  readonly region: string;
  readonly dir: string;
  readonly files: readonly MigrationFile[];
  /** The steps state.json records, oldest first: each one's file names without `.sql`. */
  readonly steps: readonly {
    readonly name: string;
    readonly files: readonly string[];
    /** The files that roll out to every region in one run (state.json); undefined for a step recorded before. */
    readonly together?: readonly string[];
  }[];
}

export function sha256(content: string): string {
  return createHash('sha256').update(content).digest('hex');
}

/**
 * Reads `generated/<region>/` and checks it against its residency.sum: an
 * edited, missing, extra or reordered file stops here, before any database is touched.
 */
export async function readRegionMigrations(generatedDir: string, region: string): Promise<RegionMigrations> {
  const dir = join(generatedDir, region);
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.sql')).sort();
  } catch {
    throw new ResidencyError('MIGRATION', `region "${region}": ${dir}/ does not exist; run \`pg-residency gen-migrations\` first`);
  }
  const files: MigrationFile[] = [];
  for (const file of names) {
    const content = await readFile(join(dir, file), 'utf8');
    files.push({ name: file.replace(/\.sql$/, ''), file, content, phase: phaseOf(content), sha256: sha256(content) });
  }
  let sum: string;
  try {
    sum = await readFile(join(dir, SUM_FILE), 'utf8');
  } catch {
    throw new ResidencyError(
      'CHECKSUM',
      `region "${region}": ${dir}/${SUM_FILE} is missing; run \`pg-residency gen-migrations\` and commit the result`,
    );
  }
  const problems = verifySum(
    sum,
    files.map((f) => ({ name: f.file, content: f.content })),
  );
  if (problems.length > 0) {
    throw new ResidencyError(
      'CHECKSUM',
      `region "${region}": ${dir}/ does not match ${SUM_FILE}: ${problems.join('; ')}. Generated files are not edited by hand: change regions.yaml or templates/ and run \`pg-residency gen-migrations\`.`,
    );
  }
  const state = parseState(await readFile(join(dir, STATE_FILE), 'utf8').catch(() => undefined), join(dir, STATE_FILE));
  const steps = (state?.steps ?? []).map((s) => ({
    name: s.name,
    files: s.files.map((f) => f.replace(/\.sql$/, '')),
    ...(s.together === undefined ? {} : { together: s.together.map((f) => f.replace(/\.sql$/, '')) }),
  }));
  return { region, dir, files, steps };
}
