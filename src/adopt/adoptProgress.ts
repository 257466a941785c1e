/** Where an adopt run is, for the progress line. */
export interface AdoptProgress {
  /** Source rows whose ranges every region has taken. */
  readonly rows: number;
  /** The source's row count once known (counted on a session of its own), else undefined. */
  readonly total: number | undefined;
  readonly elapsedMs: number;
}

const n = (x: number) => Math.round(x).toLocaleString('en');

/**
 * One progress line: rows, rows/s, and with a known total the share done and
 * an ETA at the rate so far.
 * @example progressLine('shared.identity', { rows: 50_000, total: 200_000, elapsedMs: 2_000 }) // 'adopt shared.identity: 50,000 of 200,000 rows (25%), 25,000 rows/s, ETA 6 s'
 */
export function progressLine(entity: string, p: AdoptProgress): string {
  const rate = p.elapsedMs > 0 ? (p.rows * 1000) / p.elapsedMs : 0;
  if (p.total === undefined || p.total === 0) return `adopt ${entity}: ${n(p.rows)} rows, ${n(rate)} rows/s`;
  const share = Math.min(100, Math.floor((p.rows * 100) / p.total));
  const eta = rate > 0 ? Math.max(0, Math.ceil((p.total - p.rows) / rate)) : undefined;
  return `adopt ${entity}: ${n(p.rows)} of ${n(p.total)} rows (${share}%), ${n(rate)} rows/s${eta === undefined ? '' : `, ETA ${eta} s`}`;
}
