import type { Config } from '../config/types.js';
import { REGISTRY_SCHEMA } from '../config/derivedNames.js';
import { ResidencyError } from '../errors.js';
import { renderHeader, type Phase } from '../format/migrationFile.js';
import { composeSections, markSection, sectionBodies } from '../format/migrationSection.js';
import { createHash } from 'node:crypto';
import { planRegion, type PlannedBlock, type PlanOptions } from '../plan/planRegion.js';
import { renderSum, type NamedContent } from '../format/checksum.js';
import { migrationFileName } from '../format/fileName.js';
import { createSqlHandlebars } from './sqlHandlebars.js';
import { createRequire } from 'node:module';
import { checkedAst, COMPILE_OPTIONS, sourceHash } from './templateCompile.js';
import type Handlebars from 'handlebars';
import { durationMs } from '../config/durationMs.js';

/** Template sources keyed by their path below templates/ without `.sql.hbs`. */
export type TemplateSources = Readonly<Record<string, string>>;

export interface RenderedMigration extends NamedContent {
  readonly phase: Phase;
  /** The replaceable objects it creates (its marked blocks), each with the hash of what rendered for it. */
  readonly creates: readonly { readonly id: string; readonly sha256: string }[];
  /** Its blocks as rendered, in order (for the manifest of what it creates). */
  readonly blocks: readonly RenderedBlock[];
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
  // Most text is tidy already: a plain substring search is far cheaper than the regular expressions.
  let text = sql;
  if (text.includes(' \n') || text.includes('\t\n')) text = text.replace(/[ \t]+$/gm, '');
  if (text.includes('\n\n\n')) text = text.replace(/\n{3,}/g, '\n\n');
  return `${text.trim()}\n`;
}

type Compiled = (context: unknown) => string;

interface TemplateSet {
  /** A template compiled once, after its mustaches were checked (templateSafety.ts). */
  compile(template: string): Compiled;
  /** Blocks rendered, by context object, then mode and template: a context shared by many regions renders once. */
  readonly rendered: WeakMap<object, Map<string, RenderedBlock>>;
}

// Compiling is most of the cost of rendering a small fleet: compile each
// template once per template set and process, for every region and mode.
const templateSets = new WeakMap<TemplateSources, TemplateSet>();

function templateSet(templates: TemplateSources): TemplateSet {
  const known = templateSets.get(templates);
  if (known !== undefined) return known;
  const hb = createSqlHandlebars();
  const compiled = new Map<string, Compiled>();
  const compile = (template: string): Compiled => {
    const hit = compiled.get(template);
    if (hit !== undefined) return hit;
    const source = templates[template];
    if (source === undefined) throw new ResidencyError('TEMPLATE', `templates/${template}.sql.hbs is missing`);
    const built = precompiled()[template];
    const fn = (
      built !== undefined && built.sha256 === sourceHash(source)
        ? hb.template(built.spec)
        : hb.compile(checkedAst(hb, template, source), COMPILE_OPTIONS)
    ) as Compiled;
    compiled.set(template, fn);
    return fn;
  };
  for (const name of Object.keys(templates)) {
    if (PARTIAL_FOLDERS.some((folder) => name.startsWith(folder))) hb.registerPartial(name, compile(name) as Handlebars.Template);
  }
  const set: TemplateSet = { compile, rendered: new WeakMap() };
  templateSets.set(templates, set);
  return set;
}

type Precompiled = Readonly<Record<string, { readonly sha256: string; readonly spec: TemplateSpecification }>>;
let precompiledTemplates: Precompiled | undefined;

/**
 * The shipped templates compiled at build time (precompileTemplates.ts), or
 * none when running from the sources (tests through tsx): then every template
 * is compiled here.
 */
function precompiled(): Precompiled {
  if (precompiledTemplates === undefined) {
    try {
      precompiledTemplates = createRequire(import.meta.url)('./templates.precompiled.cjs') as Precompiled;
    } catch {
      precompiledTemplates = {};
    }
  }
  return precompiledTemplates;
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
      creates: migration.blocks.flatMap((b, i) => (b.marker === undefined ? [] : [{ id: b.marker, sha256: codeHash([blocks[i]!]) }])),
      blocks,
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
  const set = templateSet(templates);
  return (block) => {
    let byTemplate = set.rendered.get(block.context);
    if (byTemplate === undefined) set.rendered.set(block.context, (byTemplate = new Map()));
    const key = `${region.mode}\0${block.template}`;
    let rendered = byTemplate.get(key);
    if (rendered === undefined) {
      const template = set.compile(block.template);
      let body: string;
      try {
        body = tidy(template(block.context));
      } catch (error) {
        throw new ResidencyError(
          'TEMPLATE',
          `templates/${block.template}.sql.hbs failed to render for region "${region.name}": ${(error as Error).message}`,
          { cause: error },
        );
      }
      byTemplate.set(key, (rendered = sectionBodies(body)));
    }
    if (block.marker === undefined) return rendered;
    return {
      up: markSection(block.marker, rendered.up),
      down: block.markDown === true ? markSection(block.marker, rendered.down) : rendered.down,
    };
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

/** `LOCK TABLE residency.regions` for a step that changes what calls in flight use (a prelude in both directions). */
export function registryLockBlock(): PlannedBlock {
  return { template: 'registry_lock', context: REGISTRY_LOCK_CONTEXT };
}

const REGISTRY_LOCK_CONTEXT = { registrySchema: REGISTRY_SCHEMA };

/** Half a PostgreSQL duration (`5s` -> `2500ms`); the config stage accepts `<n>`, `<n>ms`, `<n>s`, `<n>min`, `<n>h`. */
function halfDuration(duration: string): string {
  const ms = durationMs(duration);
  return `${Math.max(1, Math.floor((Number.isNaN(ms) ? 0 : ms) / 2))}ms`;
}
