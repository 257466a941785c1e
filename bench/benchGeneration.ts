import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../src/config/parseConfig.js';
import { renderRegion, type TemplateSources } from '../src/render/renderRegion.js';
import { median } from './median.js';
import { syntheticConfigYaml } from './syntheticConfigYaml.js';

export interface GenerationInput {
  readonly regions: number;
  readonly entities: number;
  readonly warmup: number;
  readonly runs: number;
  /** Loaded once, outside the timed part. */
  readonly templates: TemplateSources;
  /** The time generation should stay under. */
  readonly targetMs: number;
}

export interface GenerationResult {
  readonly regions: number;
  readonly entities: number;
  readonly runs: number;
  /** Migrations rendered per run, over all regions (plus one checksum file per region). */
  readonly files: number;
  readonly bytes: number;
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly targetMs: number;
  /** `pg-residency gen-migrations` as a user runs it: node startup, loading, rendering and writing every file. */
  readonly endToEnd: EndToEndResult;
}

export interface EndToEndResult {
  readonly runs: number;
  /** Files written per run (migrations, residency.sum and state.json). */
  readonly files: number;
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
}

const BIN = fileURLToPath(new URL('../bin/pg-residency.js', import.meta.url));

/**
 * Times the built binary (`npm run build` first) generating the synthetic
 * config into an empty folder, `runs` times, each in a new node process.
 */
export function benchGenerationEndToEnd(yaml: string, runs: number): EndToEndResult {
  const dir = mkdtempSync(join(tmpdir(), 'rsd-gen-'));
  try {
    const config = join(dir, 'regions.yaml');
    writeFileSync(config, yaml);
    const times: number[] = [];
    let files = 0;
    for (let i = 0; i < runs; i++) {
      const out = join(dir, 'generated');
      rmSync(out, { recursive: true, force: true });
      const start = performance.now();
      const stdout = execFileSync(process.execPath, [BIN, 'gen-migrations', '--config', config, '--out', out, '--json'], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '' },
      });
      times.push(performance.now() - start);
      const result = JSON.parse(stdout) as { regions: { files: string[] }[] };
      files = result.regions.reduce((n, r) => n + r.files.length, 0);
    }
    return { runs, files, medianMs: median(times), minMs: Math.min(...times), maxMs: Math.max(...times) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Times generation for a synthetic config: parse the regions.yaml text, then
 * render every region's migrations and checksum file (no disk access). Returns
 * the median over `runs` timed runs after `warmup` untimed ones.
 */
export function benchGeneration(input: GenerationInput): GenerationResult {
  const yaml = syntheticConfigYaml(input.regions, input.entities);
  const times: number[] = [];
  let files = 0;
  let bytes = 0;
  for (let i = 0; i < input.warmup + input.runs; i++) {
    const start = performance.now();
    const config = parseConfig(yaml, 'synthetic regions.yaml', {});
    const rendered = config.regions.map((r) => renderRegion(config, r.name, input.templates));
    const ms = performance.now() - start;
    if (i < input.warmup) continue;
    times.push(ms);
    files = rendered.reduce((n, r) => n + r.migrations.length, 0);
    bytes = rendered.reduce((n, r) => n + r.sum.length + r.migrations.reduce((m, f) => m + Buffer.byteLength(f.content), 0), 0);
  }
  return {
    regions: input.regions,
    entities: input.entities,
    runs: input.runs,
    files,
    bytes,
    medianMs: median(times),
    minMs: Math.min(...times),
    maxMs: Math.max(...times),
    targetMs: input.targetMs,
    endToEnd: benchGenerationEndToEnd(yaml, input.runs),
  };
}
