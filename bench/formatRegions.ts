import type { RegionFigure, RegionsResult } from './benchRegions.js';
import { table } from './markdownTable.js';
import { regionsChart } from './regionsChart.js';
import { batchId, SINGLE_OPS } from './regionOperations.js';

/** Milliseconds with about three significant digits, as the region tables print them. */
export function ms(value: number): string {
  if (value >= 100) return Math.round(value).toLocaleString('en-US');
  return value >= 10 ? value.toFixed(1) : value.toFixed(2);
}
/** A ratio as the region tables print it: `2.97`, `10`, `0.0024`. */
export const ratio = (value: number) => (value >= 10 ? value.toFixed(0) : value >= 0.1 ? value.toFixed(2) : value.toPrecision(2));
const count = (value: number) => (Math.round(value * 100) / 100).toLocaleString('en-US', { maximumFractionDigits: 2 });

/** The figure of operation `id` on a fleet of `regions` regions. */
export const find = (figures: readonly RegionFigure[], id: string, regions: number) =>
  figures.find((f) => f.id === id && f.regions === regions);

/** "round trips (all regions · deepest)" */
const trips = (f: RegionFigure) => `${count(f.roundTrips)} · ${count(f.maxPerRegion)}`;

export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
}

/** The targets, checked on the new design's figures. */
export function targetChecks(result: RegionsResult): TargetCheck[] {
  const f = result.figures;
  const counts = [...new Set(f.map((x) => x.regions))].sort((a, b) => a - b);
  const checks: TargetCheck[] = [];
  for (const n of counts) {
    const floor = find(f, 'floor-parallel', n);
    const write = find(f, 'upsert-new-owner', n);
    if (floor && write) {
      const r = write.medianMs / floor.medianMs;
      checks.push({
        target: `${n} regions: a new upsert within 2.5x of the parallel floor`,
        measured: `${ms(write.medianMs)} ms / ${ms(floor.medianMs)} ms = ${ratio(r)}x`,
        met: r <= 2.5,
      });
    }
    const fdw = find(f, 'floor-fdw', n);
    if (fdw) {
      const slower = SINGLE_OPS.map((id) => find(f, id, n)).filter((x): x is RegionFigure => x !== undefined && x.medianMs > fdw.medianMs);
      checks.push({
        target: `${n} regions: no write or read slower than the hand-written postgres_fdw transaction (${ms(fdw.medianMs)} ms)`,
        measured: slower.length === 0 ? 'none slower' : slower.map((x) => `${x.id} ${ms(x.medianMs)} ms`).join(', '),
        met: slower.length === 0,
      });
    }
    const get = find(f, 'get-remote', n);
    if (get)
      checks.push({
        target: `${n} regions: a lookup owned elsewhere in 1 round trip`,
        measured: `${count(get.roundTrips)}`,
        met: get.roundTrips <= 1,
      });
  }
  const [low, high] = [counts[0], counts.at(-1)];
  const a = low === undefined ? undefined : find(f, 'upsert-new-owner', low);
  const b = high === undefined ? undefined : find(f, 'upsert-new-owner', high);
  if (a && b && low !== high) {
    const r = b.medianMs / a.medianMs;
    checks.push({
      target: `flat: a new upsert with ${high} regions within 1.2x of ${low}`,
      measured: `${ms(b.medianMs)} / ${ms(a.medianMs)} ms = ${ratio(r)}x`,
      met: r <= 1.2,
    });
  }
  for (const x of f.filter((y) => y.id.startsWith('batch-') && Number(y.id.split('-')[2]) >= 1000)) {
    const rows = Number(x.id.split('-')[2]);
    checks.push({
      target: `a batch of ${rows.toLocaleString('en-US')} rows called in ${x.from}: at most 0.05 round trips per row`,
      measured: `${count(x.roundTrips)} round trips, ${(x.roundTrips / rows).toPrecision(2)} per row`,
      met: x.roundTrips / rows <= 0.05,
    });
  }
  return checks;
}

/**
 * The region-count section of the report: per fleet size every write and read
 * with its round trips and ratios to the three floors, today's recorded
 * figures beside them, the batches, the targets, and the SVG chart. Pure.
 */
export function formatRegions(result: RegionsResult, today: readonly RegionFigure[], chartPath: string): { markdown: string; svg: string } {
  const f = result.figures;
  const counts = [...new Set(f.map((x) => x.regions))].sort((a, b) => a - b);
  const out = [
    '## Writes and reads against the floors, 3 to 7 regions',
    '',
    `Every call made in usa (PostgreSQL 10) with ${result.delayMs} ms each way between regions; servers ${result.servers.join(', ')} (majors repeat: only 10, 11 and 18 are installed). Round trips: received by all other regions together · the most one region received (the depth when regions are reached in parallel). "today" is the design before two-phase commit, recorded by \`npm run bench -- --record-today\` on its functions (bench/today.json).`,
    '',
    `![latency against the number of regions](${chartPath})`,
    '',
  ];
  const rows: string[][] = [];
  for (const n of counts) {
    const [local, fdw, parallel] = (['floor-local', 'floor-fdw', 'floor-parallel'] as const).map((id) => find(f, id, n));
    for (const id of ['floor-local', 'floor-fdw', 'floor-parallel', ...SINGLE_OPS]) {
      const x = find(f, id, n);
      if (x === undefined) continue;
      const t = find(today, id, n);
      const vs = (floor: RegionFigure | undefined) =>
        floor === undefined || floor.medianMs === 0 ? '' : `${ratio(x.medianMs / floor.medianMs)}x`;
      rows.push([
        String(n),
        x.label,
        ms(x.medianMs),
        trips(x),
        vs(local),
        vs(fdw),
        vs(parallel),
        t === undefined ? '' : `${ms(t.medianMs)} ms, ${trips(t)}`,
      ]);
    }
  }
  out.push(
    table(['regions', 'operation', 'ms', 'round trips', '× local INSERT', '× fdw transaction', '× parallel floor', 'today'], rows),
    '',
  );

  const batches = f.filter((x) => x.id.startsWith('batch-'));
  if (batches.length > 0) {
    out.push('### Batches (`upsert_identity_many`)', '');
    out.push(
      table(
        ['rows', 'called in', 'ms', 'round trips', 'per row', 'today'],
        batches.map((x) => {
          const rowsCount = Number(x.id.split('-')[2]);
          const t = find(today, batchId(x.from, rowsCount), x.regions);
          return [
            rowsCount.toLocaleString('en-US'),
            x.from,
            ms(x.medianMs),
            trips(x),
            (x.roundTrips / rowsCount).toPrecision(2),
            t === undefined ? '' : `${ms(t.medianMs)} ms, ${count(t.roundTrips)} (${(t.roundTrips / rowsCount).toPrecision(2)} per row)`,
          ];
        }),
      ),
      '',
    );
  }

  out.push(
    '### Targets',
    '',
    table(
      ['target', 'measured', 'met'],
      targetChecks(result).map((c) => [c.target, c.measured, c.met ? 'yes' : '**no**']),
    ),
    '',
  );
  if (result.failures.length > 0) {
    out.push('### Failures', '', ...result.failures.map((x) => `- ${x.regions} regions, ${x.id}: ${x.message.replace(/\s+/g, ' ')}`), '');
  }

  const line = (source: readonly RegionFigure[], id: string) =>
    counts.flatMap((n) => {
      const x = find(source, id, n);
      return x === undefined ? [] : [{ x: n, y: x.medianMs }];
    });
  const svg = regionsChart('A new person, upsert_identity called in its owner (5 ms each way)', counts, [
    { label: 'today (postgres_fdw)', color: '#c0392b', points: line(today, 'upsert-new-owner') },
    { label: 'two-phase (dblink)', color: '#2471a3', points: line(f, 'upsert-new-owner') },
    { label: 'by hand via postgres_fdw', color: '#7d6608', dashed: true, points: line(f, 'floor-fdw') },
    { label: 'parallel floor', color: '#1e8449', dashed: true, points: line(f, 'floor-parallel') },
  ]);
  return { markdown: `${out.join('\n').trimEnd()}\n`, svg };
}
