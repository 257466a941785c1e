import type { Config } from '../config/types.js';
import { ResidencyError } from '../errors.js';
import { renderHeader, type Phase } from '../format/migrationFile.js';
import { composeSections, markSection, sectionBody } from '../format/migrationSection.js';
import { createHash } from 'node:crypto';
import { planRegion, type PlannedBlock, type PlanOptions } from '../plan/planRegion.js';
import { renderSum, type NamedContent } from '../format/checksum.js';
import { migrationFileName } from '../format/fileName.js';
import { createSqlHandlebars } from './sqlHandlebars.js';
import { taint } from './taint.js';

/** Template sources keyed by their path below templates/ without `.sql.hbs`. */
export type TemplateSources = Readonly<Record<string, string>>;

export interface RenderedMigration extends NamedContent {
  readonly phase: Phase;
  /** The replaceable object it creates, with the hash of what rendered for it. */
  readonly creates?: { readonly id: string; readonly sha256: string };
}

export interface RenderedRegion {
  readonly region: string;
  readonly migrations: readonly RenderedMigration[];
  /** The chained checksum file over the migrations, in order. */
  readonly sum: string;
}

// Folders whose templates are partials of others, under their path: `{{> functions/get}}`.
const PARTIAL_FOLDERS = ['functions/'] as const;

/** Collapses blank-line runs left by block helpers and ends with one newline. */
function tidy(sql: string): string {
  return `${sql
    .replace(/[ \t]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`;
}

type Compiled = (context: unknown) => string;

// Compiling is most of the cost of rendering: compile each template once per
// template set and mode (the mode picks the partials), not once per migration.
const compiledCache = new WeakMap<TemplateSources, Map<string, Map<string, Compiled>>>();

function compiler(templates: TemplateSources, mode: string): (template: string) => Compiled {
  let byMode = compiledCache.get(templates);
  if (byMode === undefined) compiledCache.set(templates, (byMode = new Map()));
  let compiled = byMode.get(mode);
  if (compiled === undefined) byMode.set(mode, (compiled = new Map()));
  const cache = compiled;
  let hb: ReturnType<typeof createSqlHandlebars> | undefined;
  return (template) => {
    const hit = cache.get(template);
    if (hit !== undefined) return hit;
    if (hb === undefined) {
      hb = createSqlHandlebars();
      for (const [name, source] of Object.entries(templates)) {
        if (PARTIAL_FOLDERS.some((folder) => name.startsWith(folder))) hb.registerPartial(name, source);
      }
    }
    const source = templates[template];
    if (source === undefined) throw new ResidencyError('TEMPLATE', `templates/${template}.sql.hbs is missing`);
    const fn = hb.compile(source, { noEscape: true, strict: true });
    cache.set(template, fn);
    return fn;
  };
}

/**
 * Renders every migration of one region. Pure: templates come in as text.
 * @example renderRegion(config, 'usa', await loadTemplates('templates'))
 */
export function renderRegion(config: Config, regionName: string, templates: TemplateSources, options: PlanOptions = {}): RenderedRegion {
  const plan = planRegion(config, regionName, options);
  const region = config.regions.find((r) => r.name === regionName)!;
  const render = blockRenderer(templates, region);
  const timeouts = render(timeoutsBlock(config));
  const migrations = plan.migrations.map((migration, index): RenderedMigration => {
    const header = renderHeader({
      sources: [...new Set(migration.blocks.map((b) => `templates/${b.template}.sql.hbs`))],
      region,
      phase: migration.phase,
    });
    const blocks = migration.blocks.map(render);
    return {
      name: migrationFileName(index + 1, migration.slug),
      content: header + composeBlocks(blocks, timeouts),
      phase: migration.phase,
      ...(migration.creates === undefined ? {} : { creates: { id: migration.creates, sha256: codeHash(blocks) } }),
    };
  });
  return { region: regionName, migrations, sum: renderSum(migrations) };
}

/** One rendered block: the statements of its up and down sections. */
export interface RenderedBlock {
  readonly up: string;
  readonly down: string;
}

/** Renders the blocks of one region's files; each template is compiled once. */
export function blockRenderer(templates: TemplateSources, region: Config['regions'][number]): (block: PlannedBlock) => RenderedBlock {
  const compile = compiler(templates, region.mode);
  return (block) => {
    const template = compile(block.template);
    let body: string;
    try {
      body = tidy(template(taint(block.context)));
    } catch (error) {
      throw new ResidencyError(
        'TEMPLATE',
        `templates/${block.template}.sql.hbs failed to render for region "${region.name}": ${(error as Error).message}`,
        { cause: error },
      );
    }
    const up = sectionBody(body, 'up');
    return { up: block.marker === undefined ? up : markSection(block.marker, up), down: sectionBody(body, 'down') };
  };
}

/** What identifies rendered code: a template change that alters it shows as another hash. */
export function codeHash(blocks: readonly RenderedBlock[]): string {
  const hash = createHash('sha256');
  for (const b of blocks) hash.update(b.up).update('\0').update(b.down).update('\0');
  return hash.digest('hex');
}

/**
 * A file's SQL from its blocks, tidied. The timeouts, when given, come first in
 * both sections.
 */
export function composeBlocks(blocks: readonly RenderedBlock[], timeouts?: RenderedBlock): string {
  const body = tidy(composeSections(blocks));
  if (timeouts === undefined) return body;
  return body
    .replace('-- Up Migration\n', `-- Up Migration\n${timeouts.up}\n\n`)
    .replace('\n-- Down Migration\n', `\n-- Down Migration\n${timeouts.down}\n\n`);
}

/**
 * `SET LOCAL lock_timeout` and `statement_timeout` for a file's DDL. The lock
 * wait is half the callers' lock_timeout: when a migration and a call wait on
 * each other across regions, the migration gives way, not the call.
 */
export function timeoutsBlock(config: Config): PlannedBlock {
  return {
    template: 'lock_timeouts',
    context: { timeouts: { ...config.timeouts, lockTimeout: halfDuration(config.timeouts.lockTimeout) } },
  };
}

/** Half a PostgreSQL duration (`5s` -> `2500ms`); the config stage accepts `<n>`, `<n>ms`, `<n>s`, `<n>min`, `<n>h`. */
function halfDuration(duration: string): string {
  const match = /^(\d+)(ms|s|min|h)?$/.exec(duration);
  const unit: Record<string, number> = { ms: 1, s: 1000, min: 60_000, h: 3_600_000 };
  const ms = Number(match?.[1] ?? 0) * unit[match?.[2] ?? 'ms']!;
  return `${Math.max(1, Math.floor(ms / 2))}ms`;
}
