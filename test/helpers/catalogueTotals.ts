import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { fileURLToPath } from 'node:url';
import { logAuditRecords, logAuditTotals } from './logAudit.js';

/**
 * The catalogue's records and the checks `npm test` runs around the suite:
 * `--reset` before it, `--totals` after it (package.json pretest, posttest).
 * No ava here: this file also runs as a plain script.
 */
export const RESULTS = process.env.PG_RESIDENCY_CATALOGUE_FILE ?? fileURLToPath(new URL('../../.catalogue/results.jsonl', import.meta.url));

export interface CaseRecord {
  readonly title: string;
  /** The finding the case checks, or undefined for a case that already held. */
  readonly finding?: number;
  /** The issue whose finding it is, when not issue 8. */
  readonly issue?: number;
  readonly held: boolean;
  readonly rowsLost: number;
}

/** The demo's ports, from the repository's regions.yaml: nothing may listen there once the suite is done. */
export function demoPorts(): number[] {
  const yaml = readFileSync(fileURLToPath(new URL('../../regions.yaml', import.meta.url)), 'utf8');
  return [...yaml.matchAll(/postgres:\/\/[^\s"]*:(\d+)\//g)].map((m) => Number(m[1]));
}

/** Forgets earlier records: run before the suite. */
export function resetCatalogue(): void {
  if (process.env.PG_RESIDENCY_CATALOGUE_FILE !== undefined) rmSync(RESULTS, { force: true });
  else rmSync(fileURLToPath(new URL('../../.catalogue/', import.meta.url)), { recursive: true, force: true });
}

/** The totals line `npm test` prints after the suite. */
export function catalogueTotals(): string {
  const records = catalogueRecords();
  const held = records.filter((r) => r.held).length;
  const lost = records.reduce((sum, r) => sum + r.rowsLost, 0);
  const covered = (issue: number) =>
    [...new Set(records.filter((r) => r.finding !== undefined && r.held && (r.issue ?? 8) === issue).map((r) => r.finding!))].sort(
      (a, b) => a - b,
    );
  const later = [...new Set(records.map((r) => r.issue ?? 8))].filter((i) => i !== 8).sort((a, b) => a - b);
  return `fault catalogue (issue 8): ${records.length} cases, ${held} held, ${records.length - held} did not, ${lost} rows lost; findings covered: ${covered(8).join(', ') || 'none'}${later.map((i) => `; issue ${i}: ${covered(i).join(', ') || 'none'}`).join('')}`;
}

/** Every case recorded in this run. */
export function catalogueRecords(): CaseRecord[] {
  if (!existsSync(RESULTS)) return [];
  return readFileSync(RESULTS, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as CaseRecord);
}

/** Whether something listens on 127.0.0.1:port. */
export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

// `node --import tsx test/helpers/catalogueTotals.ts --reset | --totals`
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--reset')) resetCatalogue();
  else {
    const logs = logAuditTotals(logAuditRecords());
    const failed = catalogueRecords().filter((r) => !r.held);
    const busy = (await Promise.all(demoPorts().map(async (p) => ((await listening(p)) ? [p] : [])))).flat();
    /* eslint-disable no-console -- this script prints the totals after npm test */
    console.log(`${catalogueTotals()}\n${logs.line}`);
    for (const r of failed) console.error(`did not hold: ${r.title}${r.rowsLost ? ` (${r.rowsLost} rows lost)` : ''}`);
    if (busy.length > 0)
      console.error(
        `a test left a server listening on the demo's port(s) ${busy.join(', ')}: \`npm run demo\` would fail; stop it (pg-residency dev down) and find the test`,
      );
    /* eslint-enable no-console */
    // a case that did not hold, a personal value in another region's log, or a
    // server left on the demo's ports fails the run, like a failed test
    if (failed.length > 0 || logs.leaked || busy.length > 0) process.exitCode = 1;
  }
}
