import type { FirstCall, LoadCell, LoadResult } from './benchLoad.js';
import { median } from './median.js';

/** `n` to `digits` decimals; a difference of medians that rounds to zero prints 0.0, not -0.0. */
const fixed = (n: number, digits: number) => (Number(n.toFixed(digits)) || 0).toFixed(digits);

/** Milliseconds as the load tables print them. */
export const ms = (n: number) => (Number.isFinite(n) ? fixed(n, 1) : '-');

/** The share of calls that were false aborts, in percent. */
export function abortShare(cell: LoadCell): string {
  return cell.calls === 0 ? '-' : `${((100 * cell.aborts) / cell.calls).toFixed(2)}%`;
}

/** Each write cell beside the hand-written postgres_fdw transaction of the same fleet size, callers and concurrency (undefined: not measured). */
export function loadRows(result: LoadResult): { write: LoadCell; fdw: LoadCell | undefined }[] {
  return result.cells
    .filter((c) => c.op !== 'floor-fdw')
    .map((write) => ({
      write,
      fdw: result.cells.find(
        (c) =>
          c.op === 'floor-fdw' && c.regions === write.regions && c.from === write.from && c.clientsPerRegion === write.clientsPerRegion,
      ),
    }));
}

/** Who called a write cell: `usa`, `all`, with the gate it ran under when not the default: `all (no gate)`, `usa (gate 4)`. */
export function callersOf(write: LoadCell): string {
  const gate =
    write.op === 'upsert-ungated'
      ? ' (no gate)'
      : write.op.startsWith('upsert-gate-')
        ? ` (gate ${write.op.slice('upsert-gate-'.length)})`
        : write.op.startsWith('upsert@')
          ? ` (${write.op.slice('upsert@'.length).replace(/^.*\//, '')})`
          : '';
  return `${write.from === 'one' ? 'usa' : 'all'}${gate}`;
}

/**
 * Writes per second over the hand-written transactions per second: `3.64x`,
 * `-` without both; for a cell run in alternating pairs, the median of the
 * pairs' ratios and their range: `1.24x (1.07x to 1.47x, 3 pairs)`.
 */
export function throughputRatio(write: LoadCell, fdw: LoadCell | undefined): string {
  if (fdw === undefined || fdw.perSecond <= 0) return '-';
  const [w, f] = [write.rates ?? [], fdw.rates ?? []];
  if (w.length < 2 || w.length !== f.length || f.some((x) => x <= 0)) return `${(write.perSecond / fdw.perSecond).toFixed(2)}x`;
  const ratios = w.map((x, i) => x / f[i]!);
  return `${median(ratios).toFixed(2)}x (${Math.min(...ratios).toFixed(2)}x to ${Math.max(...ratios).toFixed(2)}x, ${ratios.length} pairs)`;
}

/** What the table says of the cells run in alternating pairs, with a leading space; '' when none was. */
export function pairsNote(cells: readonly LoadCell[]): string {
  const paired = cells.filter((c) => c.op !== 'floor-fdw' && (c.rates?.length ?? 0) > 1);
  if (paired.length === 0) return '';
  const which = [...new Set(paired.map((c) => `${c.regions} x ${c.clientsPerRegion} from ${c.from === 'one' ? 'usa' : 'all'}`))].join(', ');
  return ` The ${which} ran ${paired[0]!.rates!.length} times, alternating with the fdw transaction (write, fdw, write, ...): writes/s is the median with each run in brackets, the ratio the median of the pairs' ratios with their range.`;
}

/** Writes per second of a cell: `113`, or for one run in pairs the median and each run: `128 (113, 128, 152)`. */
export function perSecondOf(cell: LoadCell): string {
  return cell.rates !== undefined && cell.rates.length > 1
    ? `${cell.perSecond.toFixed(0)} (${cell.rates.map((r) => r.toFixed(0)).join(', ')})`
    : cell.perSecond.toFixed(0);
}

/** How the first write's links reached the other regions. */
export const LINKS: Record<FirstCall['links'], string> = {
  pooler: 'pooler (TLS)',
  'pooler-plain': 'pooler (loopback, no TLS)',
  direct: 'direct',
};

/** Where the first write's new session connected. */
export const SESSIONS: Record<FirstCall['sessions'], string> = {
  backend: 'a new server backend',
  'app-pooler': 'through an application pooler',
};

/** Milliseconds in round trips of `delayMs` each way: `2.28 RT`. */
export const roundTrips = (milliseconds: number, delayMs: number) => `${fixed(milliseconds / (2 * delayMs), 2)} RT`;

/**
 * The load suite's report: per fleet size, caller set and concurrency, the
 * write beside the hand-written postgres_fdw transaction of the same run
 * (throughput ratio, percentiles, false aborts, link sessions and prepared
 * transactions one region held at most), then a new session's first write.
 */
export function formatLoad(result: LoadResult, load: string): string {
  const lines = [
    `Load: fresh random keys, ${result.delayMs} ms each way between regions (delay proxies), a link pooler (PgBouncer 1.18, transaction mode, pool_size ${result.poolSize}) beside every region; ${result.seconds} s per cell; load average at the start: ${load}.${pairsNote(result.cells)}`,
    '',
    '| regions | from | clients/region | upsert/s | fdw tx/s | ratio | upsert p50 / p95 / p99 ms | fdw tx p50 / p99 ms | 40001 | link sessions (max/region) | prepared (max/region) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const { write: w, fdw: f } of loadRows(result)) {
    lines.push(
      `| ${w.regions} | ${callersOf(w)} | ${w.clientsPerRegion} | ${perSecondOf(w)} | ${f ? perSecondOf(f) : '-'} | ${throughputRatio(w, f)} | ${ms(w.p50)} / ${ms(w.p95)} / ${ms(w.p99)} | ${f ? `${ms(f.p50)} / ${ms(f.p99)}` : '-'} | ${w.aborts} (${abortShare(w)}) | ${w.linkSessions} (fdw tx: ${f?.linkSessions ?? '-'}) | ${w.prepared} |`,
    );
  }
  const rt = 2 * result.delayMs;
  const rts = (x: number) => roundTrips(x, result.delayMs);
  lines.push(
    '',
    `A new session's first write (from usa, owner gbr) against the same session's next writes, medians of 5 sessions, each fleet measured once the machine had settled (load average under 1.5, at most 90 s); a round trip (RT) is ${rt} ms. A new session is a new server backend, or a new client connection to an application pooler in front of usa (PgBouncer, transaction mode, pool_size 4: docs/own-databases.md), whose writes run on a server connection an earlier session used. Wall times pay the machine's load; CPU is what the calling backend and the poolers beside it ran (/proc/<pid>/schedstat), the first write's extra time on an idle machine. Its parts, measured apart in another new session: loading dblink and PL/pgSQL, opening a link to every region (wall time beside), and the first write once the links are open (compiling the write's PL/pgSQL functions, their first plans, catalog caches):`,
    '',
    '| regions | links | session | first write | warm write | first - warm (wall) | first - warm (CPU) | loading dblink, PL/pgSQL (CPU) | opening the links (CPU; wall) | compiling, plans, caches (CPU) | WAN connections opened by the first write |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const f of result.firstCalls) {
    const extra = f.firstCpuMs - f.warmCpuMs;
    lines.push(
      `| ${f.regions} | ${LINKS[f.links]} | ${SESSIONS[f.sessions]} | ${ms(f.firstMs)} ms | ${ms(f.warmMs)} ms | ${rts(f.firstMs - f.warmMs)} | ${ms(extra)} ms (${rts(extra)}) | ${ms(f.libraryCpuMs)} ms | ${ms(f.linksCpuMs)} ms; ${ms(f.linksMs)} ms | ${ms(f.compileCpuMs)} ms | ${f.wanConnects.toFixed(1)} |`,
    );
  }
  const gaveWay = result.cells.flatMap((c) =>
    Object.entries(c.abortMessages).map(
      ([message, n]) => `- ${c.regions} regions ${c.op} from ${c.from === 'one' ? 'usa' : 'all'} x${c.clientsPerRegion}: ${n} x ${message}`,
    ),
  );
  if (gaveWay.length > 0) lines.push('', 'Where the 40001s came from (message and context, keys and numbers blanked):', ...gaveWay);
  if (result.failures.length > 0) lines.push('', 'Failures other than 40001:', ...result.failures.map((f) => `- ${f}`));
  return `${lines.join('\n')}\n`;
}
