import type { ExecutionContext } from 'ava';
import { appendFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { logAuditRecords, logAuditTotals } from './logAudit.js';

/**
 * The fault and bad-input catalogue of issue 8: each case is an ava test that
 * records, when it ends, whether it held and how many acknowledged rows it
 * lost. ava runs each file in its own process, so the records go to a file
 * that `npm test` resets before and totals after (see package.json).
 */
const RESULTS = fileURLToPath(new URL('../../.catalogue/results.jsonl', import.meta.url));

export interface CaseRecord {
  readonly title: string;
  /** The finding of the issue the case checks, or undefined for a case that already held. */
  readonly finding?: number;
  /** The issue whose finding it is, when not issue 8. */
  readonly issue?: number;
  readonly held: boolean;
  readonly rowsLost: number;
}

/** Records one catalogue case; call it last in the test, after the assertions. `issue`: a finding of a later issue (default 8). */
export function recordCase(t: ExecutionContext, finding?: number, rowsLost = 0, issue = 8): void {
  mkdirSync(fileURLToPath(new URL('../../.catalogue/', import.meta.url)), { recursive: true });
  const record: CaseRecord = {
    title: t.title,
    ...(finding === undefined ? {} : { finding }),
    ...(issue === 8 ? {} : { issue }),
    held: t.passed && rowsLost === 0,
    rowsLost,
  };
  appendFileSync(RESULTS, `${JSON.stringify(record)}\n`);
  t.log(
    `catalogue: ${record.held ? 'held' : 'DID NOT HOLD'}${finding === undefined ? '' : ` (${issue === 8 ? '' : `issue ${issue} `}finding ${finding})`}, ${rowsLost} rows lost`,
  );
}

/** Forgets earlier records: run before the suite. */
export function resetCatalogue(): void {
  rmSync(fileURLToPath(new URL('../../.catalogue/', import.meta.url)), { recursive: true, force: true });
}

/** The totals line `npm test` prints after the suite. */
export function catalogueTotals(): string {
  let records: CaseRecord[] = [];
  try {
    records = readFileSync(RESULTS, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as CaseRecord);
  } catch {
    // no catalogue case ran
  }
  const held = records.filter((r) => r.held).length;
  const lost = records.reduce((sum, r) => sum + r.rowsLost, 0);
  const covered = (issue: number) =>
    [...new Set(records.filter((r) => r.finding !== undefined && r.held && (r.issue ?? 8) === issue).map((r) => r.finding!))].sort(
      (a, b) => a - b,
    );
  const later = [...new Set(records.map((r) => r.issue ?? 8))].filter((i) => i !== 8).sort((a, b) => a - b);
  return `fault catalogue (issue 8): ${records.length} cases, ${held} held, ${records.length - held} did not, ${lost} rows lost; findings covered: ${covered(8).join(', ') || 'none'}${later.map((i) => `; issue ${i}: ${covered(i).join(', ') || 'none'}`).join('')}`;
}

// `node --import tsx test/helpers/catalogue.ts --reset | --totals`
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--reset')) resetCatalogue();
  else {
    const logs = logAuditTotals(logAuditRecords());
    // eslint-disable-next-line no-console -- this script prints the totals after npm test
    console.log(`${catalogueTotals()}\n${logs.line}`);
    // a personal value in another region's log fails the run, like a failed test
    if (logs.leaked) process.exitCode = 1;
  }
}
