import { linkWarnings } from '../config/linkWarnings.js';
import type { Config } from '../config/types.js';
import { ResidencyError } from '../errors.js';
import { renderSum, SUM_FILE, sumProblems } from '../format/checksum.js';
import { migrationFileName } from '../format/fileName.js';
import { renderHeader } from '../format/migrationFile.js';
import { parseState, renderState, STATE_FILE, STATE_FORMAT, type StateFile } from '../format/stateFile.js';
import { entityKey, initialShape, type ApiShape } from '../plan/apiShape.js';
import { fleetState } from '../plan/fleetState.js';
import { planStep, type StepFile } from '../plan/planStep.js';
import { loadSqlParser } from '../sql/parseSql.js';
import { sqlObjects, type ObjectEvent } from '../sql/sqlObjects.js';
import { MANIFEST_FILE, MANIFEST_FORMAT, parseManifest, renderManifest } from '../format/manifestFile.js';
import { fileObjects } from './blockObjects.js';
import {
  blockRenderer,
  codeHash,
  composeBlocks,
  registryLockBlock,
  renderRegion,
  timeoutsBlock,
  type TemplateSources,
} from './renderRegion.js';

/** The narrow file access generation needs; tests pass an in-memory one. */
export interface GeneratedFs {
  /** The file's text, or undefined when it does not exist. */
  read(path: string): Promise<string | undefined>;
  write(path: string, content: string): Promise<void>;
  /** File names directly in a folder; empty when the folder does not exist. */
  list(dir: string): Promise<string[]>;
  remove(path: string): Promise<void>;
  /** Makes a folder (and its parents) before many writes into it; optional: write makes what it needs. */
  ensureDir?(dir: string): Promise<void>;
}

export interface GenMigrationsInput {
  readonly config: Config;
  readonly templates: TemplateSources;
  readonly outDir: string;
  /** Compare only; write nothing. */
  readonly check: boolean;
  /** Throw away each region's history and generate it from scratch (only for databases that applied nothing). */
  readonly force: boolean;
  /** The name of the step appended for a changed regions.yaml (a slug); default `step<N>`. */
  readonly name?: string;
  /** Allow steps that drop columns, entities or regions. */
  readonly allowDestructive?: boolean;
  readonly fs: GeneratedFs;
  /** When the step is generated (default: now): existing rows of a column added with a default like now() get it. */
  readonly now?: Date;
}

export interface RegionGenResult {
  readonly region: string;
  readonly status: 'unchanged' | 'written' | 'stale';
  /** Files written (or, with check, files that differ or would be written), relative to outDir. */
  readonly files: readonly string[];
  /** What the appended files destroy (only with allowDestructive). */
  readonly destructive: readonly string[];
  /** What regions.yaml weakened for this region (see linkWarnings), for the CLI to print. */
  readonly warnings: readonly string[];
}

const SLUG = /^[a-z0-9][a-z0-9_-]*$/;

interface RegionWork {
  readonly region: string;
  readonly dir: string;
  readonly existing: string[];
  /** The `.sql` files read (regions with a history only). */
  readonly existingFiles: ReadonlyMap<string, string>;
  /** name -> content of the files to write (new migrations, residency.sum, state.json). */
  readonly writes: Map<string, string>;
  /** Files to delete (with force). */
  readonly removes: string[];
  readonly problems: string[];
  readonly destructive: string[];
}

async function readDir(fs: GeneratedFs, dir: string) {
  const names = (await fs.list(dir)).filter((n) => n.endsWith('.sql')).sort();
  const contents = await Promise.all(names.map(async (name) => (await fs.read(`${dir}/${name}`)) ?? ''));
  return new Map(names.map((name, i) => [name, contents[i]!]));
}

function nextIndex(names: Iterable<string>): number {
  let max = 0;
  for (const name of names) max = Math.max(max, Number(/^(\d+)_/.exec(name)?.[1] ?? 0));
  return max + 1;
}

/**
 * Brings `generated/` to what regions.yaml asks, append-only: a region with
 * no history gets its initial migrations; a region whose recorded state
 * differs from regions.yaml (or whose API the templates now render
 * differently) gets a new step appended, numbered after its last file. Files
 * already generated are never rewritten. Everything is planned before
 * anything is written, so a refused change writes no file.
 */
export async function genMigrations(input: GenMigrationsInput): Promise<RegionGenResult[]> {
  const { config, outDir, fs, templates } = input;
  if (input.name !== undefined && !SLUG.test(input.name))
    throw new ResidencyError('CONFIG', `--name ${JSON.stringify(input.name)} must be a slug: lower-case letters, digits, "_" and "-"`);
  const to = fleetState(config);
  // one time for every region of the step (defaultFill.ts)
  const generatedAt = (input.now ?? new Date()).toISOString();
  const states = new Map<string, StateFile | undefined>(
    await Promise.all(
      config.regions.map(async (region) => {
        const path = `${outDir}/${region.name}/${STATE_FILE}`;
        return [region.name, input.force ? undefined : parseState(await fs.read(path), path)] as const;
      }),
    ),
  );
  const stepName = input.name ?? `step${Math.max(0, ...[...states.values()].map((s) => s?.steps.length ?? 0)) + 1}`;
  const rendererFor = (c: Config, region: string) =>
    blockRenderer(
      templates,
      c.regions.find((r) => r.name === region)!,
    );

  // the manifest records what each file creates, read with PostgreSQL's parser (blockObjects.ts);
  // so is a history from before runtime objects were recorded (ops/replaceCode.ts)
  await loadSqlParser();
  const work: RegionWork[] = [];
  let fleetShapes: Record<string, ApiShape> | undefined;
  // regions with a history first: a region joining the fleet takes their API shape
  const ordered = [...config.regions].sort((a, b) => Number(states.get(a.name) === undefined) - Number(states.get(b.name) === undefined));
  for (const region of ordered) {
    const dir = `${outDir}/${region.name}`;
    const state = states.get(region.name);
    // A region without a history (a new one, or --force) only needs its listing.
    const existingFiles = state === undefined ? new Map<string, string>() : await readDir(fs, dir);
    const existing = await fs.list(dir);
    const item: RegionWork = {
      region: region.name,
      dir,
      existing,
      existingFiles,
      writes: new Map(),
      removes: [],
      problems: [],
      destructive: [],
    };
    work.push(item);
    if (state === undefined) {
      const source = config.regions.find((r) => states.get(r.name) !== undefined);
      const rendered = renderRegion(config, region.name, templates, {
        ...(fleetShapes === undefined ? {} : { shapes: fleetShapes }),
        ...(source === undefined ? {} : { backfillFrom: source.name }),
      });
      const shapes = fleetShapes ?? initialShapes(config);
      if (input.force) item.removes.push(...existing.filter((n) => n.endsWith('.sql') && !rendered.migrations.some((m) => m.name === n)));
      for (const m of rendered.migrations) item.writes.set(m.name, m.content);
      const newState: StateFile = {
        format: STATE_FORMAT,
        region: region.name,
        fleet: to,
        shapes,
        code: Object.fromEntries(rendered.migrations.flatMap((m) => m.creates.map((c) => [c.id, { file: m.name, sha256: c.sha256 }]))),
        writes: 'two_phase',
        steps: [{ step: 1, name: 'initial', files: rendered.migrations.map((m) => m.name) }],
      };
      const manifest = renderManifest({
        format: MANIFEST_FORMAT,
        region: region.name,
        files: Object.fromEntries(rendered.migrations.map((m) => [m.name, fileObjects(m.blocks, `${dir}/${m.name}`)])),
      });
      item.writes.set(MANIFEST_FILE, manifest);
      item.writes.set(SUM_FILE, renderSum([...rendered.migrations, { name: MANIFEST_FILE, content: manifest }]));
      item.writes.set(STATE_FILE, renderState(newState));
      continue;
    }
    const sum = await fs.read(`${dir}/${SUM_FILE}`);
    const manifestText = await fs.read(`${dir}/${MANIFEST_FILE}`);
    const integrity = sumProblems(
      sum ?? '',
      [...existingFiles].map(([name, content]) => ({ name, content })),
      manifestText,
    );
    if (manifestText === undefined && (sum ?? '').includes(`\n${MANIFEST_FILE} `))
      integrity.push({ file: MANIFEST_FILE, message: `${MANIFEST_FILE} is listed in ${SUM_FILE} but missing` });
    if (integrity.length > 0) {
      item.problems.push(...integrity.map((p) => `${dir}/: ${p.message}`));
      for (const p of integrity) item.writes.set(p.file, '');
      continue;
    }
    if (state.region !== region.name) {
      item.problems.push(`${dir}/${STATE_FILE} records region ${JSON.stringify(state.region)}; restore the folder from version control`);
      continue;
    }
    const delta = planStep({
      region: region.name,
      from: state.fleet,
      to,
      shapes: state.shapes,
      code: state.code,
      files: [...existingFiles.keys()],
      readFile: (name) => {
        const content = existingFiles.get(name);
        if (content === undefined)
          throw new ResidencyError('CHECKSUM', `${dir}/${name} is recorded in ${STATE_FILE} but missing; restore it from version control`);
        return content;
      },
      render: (c, block) => ({ ...rendererFor(c, region.name)(block), template: block.template }),
      codeHash,
      allowDestructive: input.allowDestructive ?? false,
      twoPhase: state.writes === 'two_phase',
      generatedAt,
    });
    fleetShapes ??= delta.shapes;
    item.problems.push(...delta.refused.map((r) => `region ${JSON.stringify(region.name)}: ${r}`));
    if (delta.files.length === 0) {
      // nothing to run (e.g. the configured mode changed but not this region's): record the new state only
      if (JSON.stringify(state.fleet) !== JSON.stringify(to) || JSON.stringify(state.shapes) !== JSON.stringify(delta.shapes))
        item.writes.set(STATE_FILE, renderState({ ...state, fleet: to, shapes: delta.shapes }));
      continue;
    }
    const here = config.regions.find((r) => r.name === region.name)!;
    const preludes = {
      timeouts: rendererFor(config, region.name)(timeoutsBlock(config)),
      lock: { ...rendererFor(config, region.name)(registryLockBlock()), template: 'registry_lock' },
    };
    let index = nextIndex(existingFiles.keys());
    const names: string[] = [];
    const together: string[] = [];
    const code = { ...state.code };
    const all = [...existingFiles].map(([name, content]) => ({ name, content }));
    // a history generated before manifests gets one now, its files parsed once
    const recorded = parseManifest(manifestText, `${dir}/${MANIFEST_FILE}`);
    const objects: Record<string, readonly ObjectEvent[]> = {
      ...Object.fromEntries(all.map((f) => [f.name, recorded?.files[f.name] ?? sqlObjects(f.content, `${dir}/${f.name}`)])),
    };
    for (const file of delta.files) {
      const name = migrationFileName(index, `${stepName.replaceAll('-', '_')}_${file.slug}`);
      index += 1;
      const content = renderStepFile(file, here, preludes, state.steps.length + 1, stepName);
      item.writes.set(name, content);
      names.push(name);
      if (file.together) together.push(name);
      all.push({ name, content });
      item.destructive.push(...file.destructive.map((d) => `${region.name}/${name}: ${d}`));
      for (const c of file.creates ?? []) code[c.id] = { file: name, sha256: c.sha256 };
      objects[name] = fileObjects(file.blocks, `${dir}/${name}`);
    }
    const manifest = renderManifest({ format: MANIFEST_FORMAT, region: region.name, files: objects });
    item.writes.set(MANIFEST_FILE, manifest);
    const newState: StateFile = {
      ...state,
      fleet: to,
      shapes: delta.shapes,
      code,
      writes: 'two_phase',
      steps: [...state.steps, { step: state.steps.length + 1, name: stepName, files: names, together }],
    };
    item.writes.set(SUM_FILE, renderSum([...all, { name: MANIFEST_FILE, content: manifest }]));
    item.writes.set(STATE_FILE, renderState(newState));
  }

  const problems = work.flatMap((w) => w.problems);
  if (problems.length > 0 && !input.check) {
    throw new ResidencyError('CONFIG', `cannot generate migrations for this regions.yaml:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
  const results: RegionGenResult[] = [];
  const workByRegion = new Map(work.map((w) => [w.region, w]));
  for (const region of config.regions) {
    const item = workByRegion.get(region.name)!;
    // Compare with what is on disk, reading only files that exist and were not read already.
    const listed = new Set(item.existing);
    const current = await Promise.all(
      [...item.writes.keys()].map(async (name) =>
        !listed.has(name) ? undefined : (item.existingFiles.get(name) ?? (await fs.read(`${item.dir}/${name}`))),
      ),
    );
    const changed = [...item.writes.keys()].filter((name, i) => current[i] !== item.writes.get(name));
    const differing = [...new Set([...changed, ...item.removes])].sort();
    if (!input.check) {
      if (changed.length > 0 && listed.size === 0) await fs.ensureDir?.(item.dir);
      await Promise.all(changed.map((name) => fs.write(`${item.dir}/${name}`, item.writes.get(name)!)));
      await Promise.all(item.removes.map((name) => fs.remove(`${item.dir}/${name}`)));
    }
    const status = differing.length === 0 ? 'unchanged' : input.check ? 'stale' : 'written';
    const warnings = linkWarnings(region);
    results.push({
      region: region.name,
      status,
      files: differing.map((name) => `${region.name}/${name}`),
      destructive: item.destructive,
      warnings,
    });
  }
  return results;
}

function initialShapes(config: Config): Record<string, ApiShape> {
  return Object.fromEntries(config.entities.map((e) => [entityKey(e), initialShape(e)]));
}

/** An appended file: header with its step and wave, then lock and statement timeouts (and the registry lock), then its blocks. */
function renderStepFile(
  file: StepFile,
  region: Config['regions'][number],
  preludes: { timeouts: { up: string; down: string }; lock: { up: string; down: string; template: string } },
  step: number,
  name: string,
): string {
  const { timeouts, lock } = preludes;
  const header = renderHeader({
    sources: [
      ...new Set(
        [...(file.lock === 'listed' ? [lock] : []), ...file.blocks].map((b) =>
          b.template.endsWith('.sql') ? `the up and down of ${b.template}, swapped` : `templates/${b.template}.sql.hbs`,
        ),
      ),
    ],
    region,
    phase: file.phase,
    step: { number: step, name, changes: file.changes },
    destructive: file.destructive,
  });
  // the registry lock is a prelude: taken before any DDL in both directions
  // (as a block it would run last on down, which reverses the blocks)
  const prelude = file.lock === 'none' ? timeouts : { up: `${timeouts.up}\n${lock.up}`, down: `${timeouts.down}\n${lock.down}` };
  return header + composeBlocks(file.blocks, prelude);
}
