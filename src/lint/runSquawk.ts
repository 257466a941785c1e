import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { LintFinding } from './lintFinding.js';

/** What squawk found, or why it did not run (a note, not a failure). */
export type SquawkResult = { readonly findings: LintFinding[] } | { readonly note: string };

/** squawk-cli's launcher, from the project (the working directory) or beside pg-residency; undefined when not installed. */
export function squawkLauncher(cwd: string): string | undefined {
  for (const from of [join(cwd, 'index.js'), import.meta.url]) {
    try {
      const launcher = join(dirname(createRequire(from).resolve('squawk-cli/package.json')), 'js', 'bin', 'squawk');
      if (existsSync(launcher)) return launcher;
    } catch {
      // not resolvable from here
    }
  }
  return undefined;
}

interface SquawkViolation {
  file: string;
  line: number;
  column: number;
  level: string;
  message: string;
  help?: string | null;
  rule_name: string;
}

/**
 * Runs squawk (npm squawk-cli, when the project installed it) over the files
 * for its locking and migration-safety rules; it reads the project's
 * .squawk.toml. Its findings are `squawk/<rule>`, at its level.
 * @example await runSquawk(['migrations/0001_report.sql'], process.cwd())
 */
export async function runSquawk(files: readonly string[], cwd: string): Promise<SquawkResult> {
  const launcher = squawkLauncher(cwd);
  if (launcher === undefined)
    return { note: 'squawk is not installed, so locking rules were not checked; add it with: npm i -D squawk-cli' };
  if (files.length === 0) return { findings: [] };
  const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve) =>
    execFile(process.execPath, [launcher, '--reporter', 'json', ...files], { cwd, maxBuffer: 1 << 26 }, (_error, out, err) =>
      resolve({ stdout: String(out), stderr: String(err) }),
    ),
  );
  let violations: SquawkViolation[];
  try {
    violations = JSON.parse(stdout) as SquawkViolation[];
  } catch {
    return { note: `squawk did not run, so locking rules were not checked: ${stderr.trim().split('\n')[0] ?? 'no output'}` };
  }
  return {
    findings: violations.map((v) => ({
      rule: `squawk/${v.rule_name}`,
      level: v.level.toLowerCase() === 'error' ? 'error' : 'warning',
      file: v.file,
      line: v.line + 1,
      column: v.column + 1,
      message: v.message,
      fix: v.help ?? `see https://squawkhq.com/docs/${v.rule_name}`,
    })),
  };
}
