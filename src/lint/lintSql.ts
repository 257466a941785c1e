import { parse, type SqlError } from 'libpg-query';
import type { Config } from '../config/types.js';
import type { LintFinding } from './lintFinding.js';
import { LINT_RULES } from './lintRules.js';
import type { LintRule, LintStatement } from './lintRule.js';
import { residencyModel } from './residencyModel.js';
import type { AstFields } from '../sql/sqlAst.js';

/** A SQL file to lint: its path as findings print it, and its text. */
export interface SqlFile {
  readonly path: string;
  readonly text: string;
}

/** 1-based line and column (in characters) of a byte offset in `text`. */
export function position(text: string, byteOffset: number): { line: number; column: number } {
  const before = Buffer.from(text, 'utf8').subarray(0, Math.max(0, byteOffset)).toString('utf8');
  const lines = before.split('\n');
  return { line: lines.length, column: [...lines.at(-1)!].length + 1 };
}

/** The byte offset of the first token at or after `byteOffset`: past blanks and comments. */
function firstToken(text: string, byteOffset: number): number {
  const bytes = Buffer.from(text, 'utf8');
  const rest = bytes.subarray(byteOffset).toString('utf8');
  const skipped = /^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*/.exec(rest)?.[0] ?? '';
  return byteOffset + Buffer.byteLength(skipped, 'utf8');
}

/**
 * Lints SQL files against the residency rules of a config: each file parsed
 * with PostgreSQL's own parser (libpg-query), each statement checked by every
 * rule. Pure: reads nothing, runs nothing. A file that does not parse is one
 * RL000 error.
 * @example await lintSql(config, [{ path: 'migrations/0001_report.sql', text: 'CREATE VIEW v AS SELECT name FROM shared.identity_details' }])
 * // [{ rule: 'RL001', level: 'error', file: 'migrations/0001_report.sql', line: 1, column: 35, ... }]
 */
export async function lintSql(config: Config, files: readonly SqlFile[], rules: readonly LintRule[] = LINT_RULES): Promise<LintFinding[]> {
  const model = residencyModel(config);
  const findings: LintFinding[] = [];
  for (const file of files) {
    let stmts: { stmt?: unknown; stmt_location?: number }[];
    try {
      stmts = ((await parse(file.text)) as { stmts?: typeof stmts }).stmts ?? [];
    } catch (error) {
      const cursor = (error as SqlError).sqlDetails?.cursorPosition;
      findings.push({
        rule: 'RL000',
        level: 'error',
        file: file.path,
        ...position(file.text, cursor ?? 0),
        message: `cannot parse the file as PostgreSQL: ${(error as Error).message}`,
        fix: 'fix the syntax (psql meta-commands such as \\i or \\set are not SQL)',
      });
      continue;
    }
    for (const raw of stmts) {
      const [type, node] = Object.entries((raw.stmt ?? {}) as AstFields)[0] ?? [];
      if (type === undefined || typeof node !== 'object' || node === null) continue;
      const statement: LintStatement = { type, node: node as AstFields, location: firstToken(file.text, raw.stmt_location ?? 0) };
      for (const rule of rules) {
        for (const hit of rule.check(statement, model)) {
          findings.push({
            rule: rule.id,
            level: rule.level,
            file: file.path,
            ...position(file.text, hit.location ?? statement.location),
            message: hit.message,
            fix: hit.fix,
          });
        }
      }
    }
  }
  return findings;
}
