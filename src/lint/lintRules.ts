import type { LintRule } from './lintRule.js';
import { personalForeignTable } from './rules/personalForeignTable.js';
import { personalFunction } from './rules/personalFunction.js';
import { personalGrant } from './rules/personalGrant.js';
import { personalPublication } from './rules/personalPublication.js';
import { personalTrigger } from './rules/personalTrigger.js';
import { personalView } from './rules/personalView.js';
import { wholeRemoteTable } from './rules/wholeRemoteTable.js';

/** pg-residency's lint rules, by id. */
export const LINT_RULES: readonly LintRule[] = [
  personalView,
  personalTrigger,
  personalFunction,
  personalPublication,
  personalGrant,
  personalForeignTable,
  wholeRemoteTable,
];
