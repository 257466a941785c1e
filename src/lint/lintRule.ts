import type { LintLevel } from './lintFinding.js';
import type { ResidencyModel } from './residencyModel.js';
import type { AstFields } from '../sql/sqlAst.js';

/** One statement as a rule sees it: its node type and fields. */
export interface LintStatement {
  /** The node type: `ViewStmt`, `GrantStmt`, ... */
  readonly type: string;
  readonly node: AstFields;
  /** Byte offset of the statement's first token in the file. */
  readonly location: number;
}

/** What a rule reports: where (a byte offset; the statement's start when unknown), what, and what to do. */
export interface RuleHit {
  readonly location?: number | undefined;
  readonly message: string;
  readonly fix: string;
}

/** A residency lint rule: a stable id, a level, and a check of one statement. */
export interface LintRule {
  /** `RL001`...: stable, printed in every finding and listed in docs/reference/lint.md. */
  readonly id: string;
  readonly level: LintLevel;
  /** One line: what the rule finds. */
  readonly title: string;
  check(statement: LintStatement, model: ResidencyModel): RuleHit[];
}
