/**
 * `npm run bench:gen`: `pg-residency gen-migrations` end to end, as a user runs
 * it (a new node process on the built binary, in a temporary folder), for
 * synthetic fleets of 3, 10 and 50 regions. Prints one markdown table: time,
 * total bytes, the largest file, and what adding one region appends to each
 * existing region of the 10-region fleet.
 *
 *   npm run bench:gen                              # 3x20, 10x10, 10x20, 50x20
 *   npm run bench:gen -- --fleets 10x10 --runs 5   # one fleet, 5 runs
 *   npm run bench:gen -- --templates ./my-templates --json
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median } from './median.js';
import { syntheticConfigYaml } from './syntheticConfigYaml.js';

const BIN = fileURLToPath(new URL('../bin/pg-residency.js', import.meta.url));

export interface GenRow {
  readonly regions: number;
  readonly entities: number;
  readonly runs: number;
  readonly medianMs: number;
  readonly minMs: number;
  readonly files: number;
  readonly bytes: number;
  readonly largest: { readonly file: string; readonly bytes: number };
}

export interface AppendRow {
  /** The fleet a region is added to. */
  readonly regions: number;
  readonly entities: number;
  /** Bytes of the migration files appended to each existing region (the largest over regions). */
  readonly appendedSqlBytes: number;
  /** The same plus the growth of residency.sum and state.json. */
  readonly appendedBytes: number;
  /** The files appended to one existing region. */
  readonly files: readonly string[];
}

interface Tree {
  readonly files: number;
  readonly bytes: number;
  readonly largest: { file: string; bytes: number };
  readonly sizes: ReadonlyMap<string, number>;
}

function tree(dir: string): Tree {
  const sizes = new Map<string, number>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    sizes.set(path.slice(dir.length + 1), statSync(path).size);
  }
  let largest = { file: '', bytes: 0 };
  let bytes = 0;
  for (const [file, size] of sizes) {
    bytes += size;
    if (size > largest.bytes) largest = { file, bytes: size };
  }
  return { files: sizes.size, bytes, largest, sizes };
}

/** One `pg-residency gen-migrations` in a new node process; returns its wall time. */
function gen(config: string, out: string, templates: string | undefined): number {
  const start = performance.now();
  execFileSync(
    process.execPath,
    [BIN, 'gen-migrations', '--config', config, '--out', out, ...(templates ? ['--templates', templates] : [])],
    {
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  return performance.now() - start;
}

/** Generates a fleet into an empty folder `runs` times. */
export function benchGen(regions: number, entities: number, runs: number, templates?: string): GenRow {
  const dir = mkdtempSync(join(tmpdir(), 'rsd-bench-gen-'));
  try {
    const config = join(dir, 'regions.yaml');
    writeFileSync(config, syntheticConfigYaml(regions, entities));
    const out = join(dir, 'generated');
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      rmSync(out, { recursive: true, force: true });
      times.push(gen(config, out, templates));
    }
    const t = tree(out);
    return {
      regions,
      entities,
      runs,
      medianMs: median(times),
      minMs: Math.min(...times),
      files: t.files,
      bytes: t.bytes,
      largest: t.largest,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Generates a fleet, adds one region to regions.yaml, generates again, and measures what each existing region gained. */
export function benchAppend(regions: number, entities: number, templates?: string): AppendRow {
  const dir = mkdtempSync(join(tmpdir(), 'rsd-bench-gen-'));
  try {
    const config = join(dir, 'regions.yaml');
    const out = join(dir, 'generated');
    writeFileSync(config, syntheticConfigYaml(regions, entities));
    gen(config, out, templates);
    const before = tree(out);
    writeFileSync(config, syntheticConfigYaml(regions + 1, entities));
    gen(config, out, templates);
    const after = tree(out);
    let appendedSqlBytes = 0;
    let appendedBytes = 0;
    let files: string[] = [];
    for (let r = 1; r <= regions; r++) {
      const prefix = `region_${String(r).padStart(2, '0')}/`;
      let sql = 0;
      let all = 0;
      const added: string[] = [];
      for (const [file, size] of after.sizes) {
        if (!file.startsWith(prefix)) continue;
        const old = before.sizes.get(file);
        if (old === undefined && file.endsWith('.sql')) {
          sql += size;
          added.push(file);
        }
        all += size - (old ?? 0);
      }
      if (sql > appendedSqlBytes) files = added;
      appendedSqlBytes = Math.max(appendedSqlBytes, sql);
      appendedBytes = Math.max(appendedBytes, all);
    }
    return { regions, entities, appendedSqlBytes, appendedBytes, files };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// decimal units, as issue 13's targets and docs/benchmarks.md's tables
const kb = (bytes: number) => `${(bytes / 1000).toFixed(0)} KB`;
const mb = (bytes: number) => `${(bytes / 1_000_000).toFixed(1)} MB`;
const seconds = (ms: number) => (ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`);

/** The rows as a markdown table, as docs/benchmarks.md shows them. */
export function formatGenTable(rows: readonly GenRow[], append: AppendRow | undefined): string {
  const lines = [
    '| fleet | time (median) | files | bytes | largest file | appended by one more region, per existing region |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    const appended =
      append !== undefined && append.regions === r.regions && append.entities === r.entities
        ? `${kb(append.appendedSqlBytes)} SQL (${append.files.length} file${append.files.length === 1 ? '' : 's'}), ${kb(append.appendedBytes)} with residency.sum and state.json`
        : '';
    lines.push(
      `| ${r.regions} regions x ${r.entities} entities | ${seconds(r.medianMs)} (${r.runs} run${r.runs === 1 ? '' : 's'}) | ${r.files} | ${mb(r.bytes)} | ${kb(r.largest.bytes)} (${r.largest.file.replace(/^[^/]+\//, '')}) | ${appended} |`,
    );
  }
  return lines.join('\n');
}

function parseFleet(text: string): [number, number] {
  const match = /^(\d+)x(\d+)$/.exec(text);
  if (!match) throw new Error(`--fleets takes REGIONSxENTITIES, e.g. 10x20; got ${JSON.stringify(text)}`);
  return [Number(match[1]), Number(match[2])];
}

function main(): void {
  const { values } = parseArgs({
    options: {
      fleets: { type: 'string', default: '3x20,10x10,10x20,50x20' },
      runs: { type: 'string', default: '3' },
      templates: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const runs = Number(values.runs);
  const fleets = values.fleets.split(',').map(parseFleet);
  const rows = fleets.map(([regions, entities]) =>
    // one run of the largest fleet is enough to read, and takes a while
    benchGen(regions, entities, regions * entities >= 1000 ? 1 : runs, values.templates),
  );
  const append = fleets.some(([r, e]) => r === 10 && e === 20) ? benchAppend(10, 20, values.templates) : undefined;
  process.stdout.write(values.json ? `${JSON.stringify({ rows, append }, null, 2)}\n` : `${formatGenTable(rows, append)}\n`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) main();
