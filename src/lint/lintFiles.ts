import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Config } from '../config/types.js';
import { ResidencyError } from '../errors.js';
import { sortFindings, type LintFinding } from './lintFinding.js';
import { lintSql, type SqlFile } from './lintSql.js';
import { runSquawk } from './runSquawk.js';

/** Options of {@link lintFiles}. */
export interface LintOptions {
  readonly config: Config;
  /** SQL files, or folders whose `*.sql` files (recursively) are linted. */
  readonly paths: readonly string[];
  /** Where paths are relative to and squawk runs; default the working directory. */
  readonly cwd?: string;
  /** Run squawk too (when installed); default true. */
  readonly squawk?: boolean;
}

/** What `pg-residency lint` found. */
export interface LintReport {
  /** False when any finding is an error. */
  readonly ok: boolean;
  readonly findings: readonly LintFinding[];
  /** What was not checked and why (squawk missing). */
  readonly notes: readonly string[];
}

async function sqlFiles(path: string, cwd: string): Promise<string[]> {
  const full = resolve(cwd, path);
  let info;
  try {
    info = await stat(full);
  } catch {
    throw new ResidencyError('CONFIG', `no such file or folder "${path}"; name the SQL files or folders to lint`);
  }
  if (!info.isDirectory()) return [path];
  const entries = await readdir(full, { recursive: true });
  return entries
    .map(String)
    .filter((e) => e.endsWith('.sql'))
    .sort()
    .map((e) => join(path, e));
}

/**
 * Lints the SQL a team writes next to the generated history: residency rules
 * (RL001-RL007, see docs/reference/lint.md) on every statement, and squawk's locking rules
 * when squawk-cli is installed.
 * @throws ResidencyError CONFIG when a path does not exist
 * @example const report = await lintFiles({ config, paths: ['migrations'] }); // { ok: false, findings: [...], notes: [] }
 */
export async function lintFiles(options: LintOptions): Promise<LintReport> {
  const cwd = options.cwd ?? process.cwd();
  const paths = [...new Set((await Promise.all(options.paths.map((p) => sqlFiles(p, cwd)))).flat())];
  const files: SqlFile[] = await Promise.all(paths.map(async (path) => ({ path, text: await readFile(resolve(cwd, path), 'utf8') })));
  const findings = await lintSql(options.config, files);
  const notes: string[] = [];
  if (options.squawk !== false) {
    const squawk = await runSquawk(paths, cwd);
    if ('note' in squawk) notes.push(squawk.note);
    else findings.push(...squawk.findings);
  }
  const sorted = sortFindings(findings);
  return { ok: !sorted.some((f) => f.level === 'error'), findings: sorted, notes };
}
