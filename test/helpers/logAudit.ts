import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../src/config/types.js';
import { derivedNames } from '../../src/config/derivedNames.js';
import { qualified } from '../../src/sql/quote.js';

/**
 * Issue 8's log acceptance: "a grep of every region's server log after the
 * whole integration suite finds no personal value from another region".
 * Every scratch fleet, when it stops, reads the personal values each region
 * holds (its own leaves: the values whose home it is) and looks for each in
 * the other regions' server logs. The records go to a file `npm test` totals
 * after the suite (see catalogueTotals.ts), and the totals fail the run on a leak.
 *
 * What it cannot see: a value erased or overwritten before the fleet stopped
 * (its home no longer holds it). Values shorter than MIN_LENGTH are skipped:
 * "a" or "Ann" occur in any log by chance.
 */
const RESULTS = fileURLToPath(new URL('../../.catalogue/logs.jsonl', import.meta.url));
const MIN_LENGTH = 8;

export interface LogLeak {
  /** The region whose log holds the value. */
  readonly region: string;
  /** The value's home region. */
  readonly home: string;
  /** The object the value is stored in at home. */
  readonly object: string;
  /** The first characters of the value, enough to find the test that wrote it. */
  readonly sample: string;
}

export interface LogAuditRecord {
  readonly fleet: string;
  readonly logs: number;
  readonly values: number;
  readonly leaks: readonly LogLeak[];
  /** Set when a test broke log settings on purpose and opted out. */
  readonly skipped?: string;
}

/** The personal values a region holds at home: every resident column of its local leaves, as text. */
export async function homeValues(
  config: Config,
  region: string,
  query: (sql: string) => Promise<Record<string, unknown>[]>,
): Promise<{ object: string; value: string }[]> {
  const found: { object: string; value: string }[] = [];
  for (const entity of config.entities) {
    if (entity.resident.length === 0) continue;
    const leaf = qualified(region, derivedNames(entity.name).details);
    const columns = entity.resident.map((c) => `${qualified(c.name)}::text`).join(', ');
    const rows = await query(`SELECT ${columns} FROM ${leaf}`).catch(() => []); // a region left broken on purpose
    for (const row of rows) {
      for (const value of Object.values(row)) {
        if (typeof value === 'string' && value.length >= MIN_LENGTH) found.push({ object: `${entity.schema}.${entity.name}`, value });
      }
    }
  }
  return found;
}

/** The leaks in the given logs: a home value of one region in another region's log. */
export function findLeaks(
  values: ReadonlyMap<string, readonly { object: string; value: string }[]>,
  logs: ReadonlyMap<string, string>,
): LogLeak[] {
  const leaks: LogLeak[] = [];
  for (const [home, held] of values) {
    for (const [region, log] of logs) {
      if (region === home) continue;
      for (const { object, value } of held) {
        if (log.includes(value)) leaks.push({ region, home, object, sample: value.slice(0, 24) });
      }
    }
  }
  return leaks;
}

/** Reads a log file, or '' when the server never wrote one. */
export function readLog(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

/** Appends one fleet's audit to the suite's records. */
export function recordLogAudit(record: LogAuditRecord): void {
  mkdirSync(fileURLToPath(new URL('../../.catalogue/', import.meta.url)), { recursive: true });
  appendFileSync(RESULTS, `${JSON.stringify(record)}\n`);
}

/** The records of this run (empty before any fleet stopped). */
export function logAuditRecords(): LogAuditRecord[] {
  if (!existsSync(RESULTS)) return [];
  return readFileSync(RESULTS, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as LogAuditRecord);
}

/** The totals line, and whether any leak was found. */
export function logAuditTotals(records: readonly LogAuditRecord[]): { line: string; leaked: boolean } {
  const audited = records.filter((r) => r.skipped === undefined);
  const leaks = audited.flatMap((r) => r.leaks);
  const line =
    `log audit (issue 8): ${audited.length} fleets, ${audited.reduce((n, r) => n + r.logs, 0)} region logs, ` +
    `${audited.reduce((n, r) => n + r.values, 0)} personal values, ${leaks.length} found outside their home` +
    (records.length > audited.length ? ` (${records.length - audited.length} fleets opted out: they break log settings on purpose)` : '') +
    leaks.map((l) => `\n  ${l.home} value of ${l.object} "${l.sample}..." in ${l.region}'s server log`).join('');
  return { line, leaked: leaks.length > 0 };
}
