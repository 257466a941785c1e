import { RULES, type RuleId } from './rules.js';

/**
 * One thing verify found. The `--json` shape: stable field names, the rule by
 * its id (docs/reference/verify.md "Residency proof" lists them). `detail` and `fix` name keys,
 * regions and objects, never a personal value.
 */
export interface Finding {
  /** `RV101`, ... */
  readonly rule: RuleId;
  /** The rule's name, e.g. `directory-row-missing`. */
  readonly name: string;
  /** `error` fails verify (exit 1); `warning` is reported only. */
  readonly level: 'error' | 'warning';
  /** The region the finding is about (where the fix applies). */
  readonly region: string;
  /** The object: a table, a server, a setting, or `schema.entity <key>` for a row. */
  readonly object: string;
  /** For row findings: the key, as text. */
  readonly key?: string;
  readonly detail: string;
  readonly fix: string;
}

export function finding(rule: RuleId, region: string, object: string, detail: string, fix: string, key?: string): Finding {
  const { name, level } = RULES[rule];
  return { rule, name, level, region, object, ...(key === undefined ? {} : { key }), detail, fix };
}
