import test, { type ExecutionContext } from 'ava';
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { RESULTS, type CaseRecord } from './catalogueTotals.js';

/**
 * The fault and bad-input catalogue of issue 8: each case is an ava test that
 * records, when it ends, whether it held and how many acknowledged rows it
 * lost. ava runs each file in its own process, so the records go to a file
 * that `npm test` resets before and totals after (catalogueTotals.ts).
 */

interface OpenCase {
  readonly finding: number | undefined;
  readonly issue: number;
  rowsLost: number;
}
/** The cases of this test file registered so far, by test title; recorded by the hook below. */
const open = new Map<string, OpenCase>();
const HOOK_PREFIX = 'afterEach.always hook for ';

// Runs after every test of a file that imports this module, whether it passed,
// failed an assertion (ava's assertions throw) or threw: a catalogue case is
// recorded whatever its outcome, so a case that did not hold is counted.
test.afterEach.always((t) => {
  const title = t.title.startsWith(HOOK_PREFIX) ? t.title.slice(HOOK_PREFIX.length) : t.title;
  const c = open.get(title);
  if (c === undefined) return;
  open.delete(title);
  mkdirSync(dirname(RESULTS), { recursive: true });
  const record: CaseRecord = {
    title,
    ...(c.finding === undefined ? {} : { finding: c.finding }),
    ...(c.issue === 8 ? {} : { issue: c.issue }),
    held: t.passed && c.rowsLost === 0,
    rowsLost: c.rowsLost,
  };
  appendFileSync(RESULTS, `${JSON.stringify(record)}\n`);
  t.log(
    `catalogue: ${record.held ? 'held' : 'DID NOT HOLD'}${c.finding === undefined ? '' : ` (${c.issue === 8 ? '' : `issue ${c.issue} `}finding ${c.finding})`}, ${c.rowsLost} rows lost`,
  );
});

/**
 * Makes the test a catalogue case: call it FIRST in the test, so that the case
 * is recorded (by an afterEach.always hook) even when an assertion fails or the
 * test throws. Call it again with `rowsLost` once the rows lost are known; the
 * counts add up. `issue`: a finding of a later issue (default 8).
 */
export function recordCase(t: ExecutionContext, finding?: number, rowsLost = 0, issue = 8): void {
  const c = open.get(t.title);
  if (c === undefined) open.set(t.title, { finding, issue, rowsLost });
  else c.rowsLost += rowsLost;
}
