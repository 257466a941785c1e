import type { GenerationResult } from './benchGeneration.js';
import type { RuntimeResult } from './benchRuntime.js';
import { compressTrace } from './compressTrace.js';
import type { MachineInfo } from './machineInfo.js';
import type { Measurement } from './measureOperation.js';

export interface BenchReport {
  readonly startedAt: Date;
  readonly elapsedMs: number;
  readonly machine: MachineInfo;
  readonly generation: GenerationResult;
  readonly runtime: RuntimeResult;
}

export interface FormattedReport {
  /** Machine, generation and runtime tables, notes and failures: what the terminal shows. */
  readonly summary: string;
  /** The requests each remote region received in the last timed run of each operation. */
  readonly traces: string;
}

/** Milliseconds with about three significant digits. */
function ms(value: number): string {
  if (value >= 100) return Math.round(value).toLocaleString('en-US');
  return value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

/** A count, possibly scaled: whole numbers plain, others with one decimal. */
function count(value: number): string {
  return (Math.round(value * 10) / 10).toLocaleString('en-US', { maximumFractionDigits: 1 });
}

/** A ratio with two decimals, or two significant digits below 0.1. */
function ratio(value: number): string {
  return value >= 0.1 ? value.toFixed(2) : value.toPrecision(2);
}

/** Lines of a compressed trace shown per region; a sampled workload repeats itself. */
const TRACE_LINES = 40;

/** A markdown table; pipes inside cells are escaped. */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const cell = (text: string) => text.replaceAll('|', '\\|');
  return [
    `| ${header.map(cell).join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ].join('\n');
}

function roundTripCell(m: Measurement): string {
  const parts = Object.entries(m.perRegion)
    .filter(([, n]) => n > 0)
    .map(([region, n]) => `${region} ${count(n)}`);
  let text = count(m.roundTrips.median);
  if (m.roundTrips.min !== m.roundTrips.max) text += ` [${count(m.roundTrips.min)}–${count(m.roundTrips.max)}]`;
  if (parts.length > 0) text += ` (${parts.join(' · ')})`;
  if (m.newConnections > 0) text += `, ${m.newConnections} new conn.`;
  return text;
}

function modelCells(m: Measurement): [string, string] {
  const model = m.operation.model;
  if (model === undefined) return ['—', ''];
  const delta = m.roundTrips.median - model.roundTrips;
  return [`${count(model.roundTrips)} (${model.basis})`, delta === 0 ? '0' : `${delta > 0 ? '+' : ''}${count(delta)}`];
}

function generationSection(g: GenerationResult): string {
  return [
    '## Generation',
    '',
    `parseConfig + renderRegion for every region (rendering includes the checksum file); templates loaded once; no disk writes. Median of ${g.runs} runs after a warm-up.`,
    '',
    table(
      ['config', 'files', 'bytes', 'median ms', 'min–max ms', 'vs target'],
      [
        [
          `${g.regions} regions × ${g.entities} entities`,
          count(g.files),
          count(g.bytes),
          ms(g.medianMs),
          `${ms(g.minMs)}–${ms(g.maxMs)}`,
          `${(g.medianMs / g.targetMs).toFixed(2)}× of ${ms(g.targetMs)} ms`,
        ],
      ],
    ),
    '',
    `End to end, as a user runs it: \`pg-residency gen-migrations\` in a new node process (startup, loading, rendering, writing every file into an empty folder). Median of ${g.endToEnd.runs} runs.`,
    '',
    table(
      ['config', 'files written', 'median ms', 'min–max ms', 'vs target'],
      [
        [
          `${g.regions} regions × ${g.entities} entities`,
          count(g.endToEnd.files),
          ms(g.endToEnd.medianMs),
          `${ms(g.endToEnd.minMs)}–${ms(g.endToEnd.maxMs)}`,
          `${(g.endToEnd.medianMs / g.targetMs).toFixed(2)}× of ${ms(g.targetMs)} ms`,
        ],
      ],
    ),
  ].join('\n');
}

function runtimeSection(runtime: RuntimeResult): string {
  const numbers = new Map(runtime.measurements.map((m, i) => [m.operation.id, { index: i + 1, m }]));
  const out = ['## Runtime', ''];
  let section: string | undefined;
  let rows: string[][] = [];
  const flush = () => {
    if (section === undefined) return;
    out.push(
      `### ${section}`,
      '',
      table(['#', 'operation', 'from', 'n', 'median ms', 'round trips via proxy (per region)', 'cost model', 'Δ model', 'ratio'], rows),
      '',
    );
    rows = [];
  };
  for (const [i, m] of runtime.measurements.entries()) {
    if (m.operation.section !== section) {
      flush();
      section = m.operation.section;
    }
    const base = m.operation.baseline === undefined ? undefined : numbers.get(m.operation.baseline);
    const vs = base === undefined ? '' : `${ratio(m.medianMs / base.m.medianMs)}× #${base.index}`;
    const label = m.operation.scale === undefined ? m.operation.label : `${m.operation.label} (${m.operation.scale.note})`;
    rows.push([String(i + 1), label, m.operation.from, String(m.n), ms(m.medianMs), roundTripCell(m), ...modelCells(m), vs]);
  }
  flush();
  return out.join('\n').trimEnd();
}

function failureSection(runtime: RuntimeResult): string {
  if (runtime.failures.length === 0) return '';
  const lines = ['## Failures', ''];
  for (const f of runtime.failures) {
    lines.push(`- **${f.operation.label}** from ${f.operation.from}: ${f.message}`);
    for (const [key, value] of Object.entries(f.details)) lines.push(`  - ${key}: ${value.replace(/\s+/g, ' ')}`);
  }
  return lines.join('\n');
}

const NOTES = (delayMs: number) =>
  [
    '## How to read this',
    '',
    `- Each region has a TCP proxy in front of it that delays every chunk by ${delayMs} ms in each direction; only postgres_fdw traffic between regions goes through it (round trip ≥ ${2 * delayMs} ms). The benchmark client connects to each region directly, with one long-lived session per region, so postgres_fdw connections are already open (except in the "new session" row).`,
    '- A round trip is a burst of client messages sent after the server last spoke, counted by the proxy; "per region" is the region that received it.',
    '- "cost model" is what POSTGRES-FACTS.md ("Cost model") predicts from its per-statement costs; "Δ model" is measured minus predicted.',
    '- "ratio" is this row\'s median time divided by the median time of row #k. Times are medians of n timed runs after a warm-up; the machine is shared, so read the ratios and round trips rather than the absolute times.',
    '- Rows marked "×k" ran a sample and are scaled to the full workload (time and round trips multiplied by k).',
  ].join('\n');

function machineSection(report: BenchReport): string {
  const { machine: m, runtime } = report;
  return [
    '## Machine',
    '',
    `- ${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB, ${m.os}, load ${m.load} at start`,
    `- Node ${m.node}`,
    `- PostgreSQL: ${runtime.servers.map((s) => `${s.region} ${s.version} (${s.mode} mode)`).join(', ')}`,
    `- Proxy delay: ${runtime.delayMs} ms each way between regions`,
    `- Started ${report.startedAt.toISOString()}; the whole benchmark took ${(report.elapsedMs / 1000).toFixed(1)} s`,
  ].join('\n');
}

function traceSection(runtime: RuntimeResult): string {
  const out = [
    '## Round-trip traces',
    '',
    'What each remote region received during the last timed run of each operation (literals masked, repeats counted).',
    '',
  ];
  for (const [i, m] of runtime.measurements.entries()) {
    const regions = Object.entries(m.trace).filter(([, lines]) => lines.length > 0);
    if (regions.length === 0) continue;
    out.push(`### #${i + 1} ${m.operation.label}, from ${m.operation.from}`, '', '```');
    for (const [region, lines] of regions) {
      const compressed = compressTrace(lines);
      out.push(`${region} (${lines.length}):`, ...compressed.slice(0, TRACE_LINES).map((line) => `  ${line}`));
      if (compressed.length > TRACE_LINES) out.push(`  … ${compressed.length - TRACE_LINES} more lines`);
    }
    out.push('```', '');
  }
  return out.join('\n').trimEnd();
}

/** The benchmark report as markdown. Pure. */
export function formatResults(report: BenchReport): FormattedReport {
  const summary = [
    '# pg-residency benchmark',
    '',
    'Produced by `npm run bench` (bench/run.ts); overwritten at every run.',
    '',
    machineSection(report),
    '',
    generationSection(report.generation),
    '',
    runtimeSection(report.runtime),
    '',
    failureSection(report.runtime),
    '',
    NOTES(report.runtime.delayMs),
  ]
    .join('\n')
    .replace(/\n{3,}/g, '\n\n');
  return { summary: `${summary.trimEnd()}\n`, traces: `${traceSection(report.runtime)}\n` };
}
