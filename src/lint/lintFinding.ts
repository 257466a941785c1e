/** How bad a finding is: an `error` fails `pg-residency lint` (exit 1), a `warning` does not. */
export type LintLevel = 'error' | 'warning';

/** One problem in one SQL file, as `lint --json` prints it. */
export interface LintFinding {
  /** `RL001`... for pg-residency's rules, `squawk/<rule>` for squawk's. */
  readonly rule: string;
  readonly level: LintLevel;
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based, in characters. */
  readonly column: number;
  readonly message: string;
  /** What to write instead. */
  readonly fix: string;
}

/** Findings in file order, then line, column and rule. */
export function sortFindings(findings: readonly LintFinding[]): LintFinding[] {
  return [...findings].sort(
    (a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column || a.rule.localeCompare(b.rule),
  );
}
