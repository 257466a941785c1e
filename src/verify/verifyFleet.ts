import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Env } from '../config/expandEnv.js';
import type { Config, Region } from '../config/types.js';
import { ResidencyError } from '../errors.js';
import { CHECKSUMS_TABLE, MIGRATIONS_SCHEMA, MIGRATIONS_TABLE } from '../migrate/appliedMigrations.js';
import { regionError } from '../migrate/connect.js';
import { readRegionMigrations, sha256 } from '../migrate/regionMigrations.js';
import { selectRegions } from '../migrate/migrateFleet.js';
import { qualified } from '../sql/quote.js';
import { auditCatalog } from './catalogAudit.js';
import { managedSchemas, readCatalog } from './catalogSnapshot.js';
import { expectedObjectsIn, type ExpectedObjects } from './expectedObjects.js';
import type { Finding } from './finding.js';
import { auditLeaks } from './leakAudit.js';
import { auditPrivileges } from './privilegeAudit.js';
import { checkLinks, type Link } from './reachability.js';
import { linkFix } from '../migrate/linkCheck.js';
import { openSession, type RegionSession } from './regionSession.js';
import { auditRows, type EntityRows } from './rowAudit.js';
import { RULES, type RuleId } from './rules.js';

export type { Finding } from './finding.js';
export type { Link } from './reachability.js';

/** What verify read and checked in one region. */
export interface RegionVerify {
  readonly region: string;
  /** Directory rows read, over every entity. */
  readonly directoryRows: number;
  /** Personal rows in the region's own leaves, over every entity (counted, never read). */
  readonly personalRows: number;
  /** This region's reach into each other region. */
  readonly links: readonly Link[];
  /** Round trips verify made to this region. */
  readonly roundTrips: number;
  /** Migrations applied here, as node-pg-migrate recorded them. */
  readonly applied: number;
  /** Checks left out, and why (e.g. the generated files could not be read). */
  readonly skipped: readonly string[];
  /** Why the region could not be read at all: nothing is said about it then. */
  readonly error?: ResidencyError;
}

/** The result of {@link verifyFleet}; the CLI prints it, `--json` as is. */
export interface VerifyReport {
  /** False on any error-level finding or unread region. */
  readonly ok: boolean;
  readonly regions: readonly RegionVerify[];
  readonly findings: readonly Finding[];
  readonly summary: {
    readonly errors: number;
    readonly warnings: number;
    /** Findings per rule id. */
    readonly rules: Readonly<Partial<Record<RuleId, number>>>;
    /** Per entity: directory rows compared and key-space buckets that differed (of 256). */
    readonly entities: Readonly<Record<string, { readonly directoryRows: number; readonly bucketsDiffering: number }>>;
    readonly elapsedMs: number;
  };
}

/** Options of {@link verifyFleet}. */
export interface VerifyOptions {
  /** Regions to verify (default: all); rows are compared between these. */
  readonly regions?: readonly string[];
  /** The generated migrations (default `generated`): what the applied ones created is expected. */
  readonly dir?: string;
  /** Called as each region is done, with how long verify had taken. */
  readonly onRegion?: (region: RegionVerify, elapsedMs: number) => void;
  /** How old a prepared part of a two-phase write must be to be a finding (RV108); default `1 minute`. */
  readonly preparedOlderThan?: string;
}

// a failing statement here is most often a region not (fully) migrated
const wrap = (region: string, error: unknown): ResidencyError =>
  regionError(region, error, 'is it migrated? `pg-residency migrate status --all` tells');

async function expectedFor(
  session: RegionSession,
  region: string,
  dir: string,
): Promise<{ applied: number; expected?: ExpectedObjects; skipped?: string; pending: string[] }> {
  const [present] = await session.query<{ migrations: boolean; sums: boolean }>(
    'SELECT to_regclass($1) IS NOT NULL AS migrations, to_regclass($2) IS NOT NULL AS sums',
    [qualified(MIGRATIONS_SCHEMA, MIGRATIONS_TABLE), qualified(MIGRATIONS_SCHEMA, CHECKSUMS_TABLE)],
  );
  if (!present?.migrations)
    throw new ResidencyError('MIGRATION', `region "${region}": no migration is applied; run \`pg-residency migrate up --all\``);
  const applied = await session.query<{ name: string; sha256: string | null }>(
    `SELECT m.name, ${present.sums ? 'c.sha256' : 'NULL::text AS sha256'} FROM ${qualified(MIGRATIONS_SCHEMA, MIGRATIONS_TABLE)} m
       ${present.sums ? `LEFT JOIN ${qualified(MIGRATIONS_SCHEMA, CHECKSUMS_TABLE)} c ON c.name = m.name` : ''} ORDER BY m.run_on, m.id`,
  );
  // the generated files not applied here yet: a rollout in progress (RV402)
  const names = new Set(applied.map((a) => a.name));
  const pending = (await readdir(join(dir, region)).catch(() => [] as string[]))
    .filter((f) => f.endsWith('.sql') && !names.has(f.replace(/\.sql$/, '')))
    .sort();
  const skipped = `objects made by the migrations (RV201 for them, RV202, RV207): ${join(dir, region)}/ does not hold the files this region applied`;
  let files: string[];
  try {
    files = await Promise.all(applied.map((a) => readFile(join(dir, region, `${a.name}.sql`), 'utf8')));
  } catch {
    return { applied: applied.length, skipped, pending };
  }
  // files of another fleet or history would expect other objects: only the applied bytes count
  if (files.some((f, i) => applied[i]!.sha256 !== null && applied[i]!.sha256 !== sha256(f)))
    return { applied: applied.length, skipped, pending };
  try {
    const inOrder = applied.map((a, i) => ({ file: `${a.name}.sql`, content: files[i]! }));
    return { applied: applied.length, expected: await expectedObjectsIn(join(dir, region), inOrder), pending };
  } catch (error) {
    return {
      applied: applied.length,
      pending,
      skipped: `objects made by the migrations (RV201 for them, RV202, RV207): ${(error as Error).message}`,
    };
  }
}

/**
 * The regions behind in a rollout: those with a file not applied of a step
 * (by name, in state.json) that another region has applied a file of. A step
 * generated and applied nowhere yet puts no region behind.
 */
async function regionsBehind(
  regions: readonly { readonly region: string; readonly pending: readonly string[] }[],
  dir: string,
): Promise<{ name: string }[]> {
  if (regions.every((r) => r.pending.length === 0)) return [];
  const histories = await Promise.all(
    regions.map(async (r) => {
      const steps = await readRegionMigrations(dir, r.region).then(
        (m) => m.steps,
        () => [],
      );
      const pending = new Set(r.pending.map((f) => f.replace(/\.sql$/, '')));
      return {
        region: r.region,
        started: new Set(steps.filter((s) => s.files.some((f) => !pending.has(f))).map((s) => s.name)),
        unfinished: new Set(steps.filter((s) => s.files.some((f) => pending.has(f))).map((s) => s.name)),
      };
    }),
  );
  return histories
    .filter((h) => [...h.unfinished].some((step) => histories.some((o) => o.region !== h.region && o.started.has(step))))
    .map((h) => ({ name: h.region }));
}

/**
 * The residency audit: rows (set-based, keys and hashes only), catalog drift
 * against regions.yaml and the applied migrations, the channels personal
 * values leak through, and each region's reach into the others. Read-only:
 * every region is read in one REPEATABLE READ READ ONLY transaction.
 * Regions that cannot be read are listed and left out.
 *
 * @example
 * const report = await verifyFleet(config, process.env, { dir: 'generated' });
 * for (const f of report.findings) console.log(f.rule, f.region, f.object, f.fix);
 */
export async function verifyFleet(config: Config, env: Env, options: VerifyOptions = {}): Promise<VerifyReport> {
  const started = performance.now();
  const selected =
    options.regions === undefined || options.regions.length === 0 ? [...config.regions] : selectRegions(config, options.regions, false);
  const dir = options.dir ?? 'generated';
  const sessions = new Map<string, RegionSession>();
  const partial = new Map<
    string,
    { applied: number; pending?: string[]; links: Link[]; skipped: string[]; findings: Finding[]; error?: ResidencyError }
  >();
  try {
    await Promise.all(
      selected.map(async (region: Region) => {
        const state = { applied: 0, links: [] as Link[], skipped: [] as string[], findings: [] as Finding[] } as {
          applied: number;
          pending?: string[];
          links: Link[];
          skipped: string[];
          findings: Finding[];
          error?: ResidencyError;
        };
        partial.set(region.name, state);
        let session: RegionSession | undefined;
        try {
          session = await openSession(region, env, { readOnly: true });
          const { applied, expected, skipped, pending } = await expectedFor(session, region.name, dir);
          state.applied = applied;
          state.pending = pending;
          if (skipped) state.skipped.push(skipped);
          const catalog = await readCatalog(
            session,
            config,
            managedSchemas(config, expected?.schemas ?? []),
            [...(expected?.signatures.keys() ?? [])],
            options.preparedOlderThan,
          );
          state.findings.push(
            ...auditCatalog(config, region, catalog, expected),
            ...auditLeaks(config, region, catalog),
            ...auditPrivileges(config, region, catalog),
          );
          sessions.set(region.name, session);
        } catch (error) {
          state.error = wrap(region.name, error);
          await session?.end();
        }
      }),
    );
    let rows: EntityRows[] = [];
    // a rollout in progress (migrate up --region, region by region): the regions
    // behind have other columns than regions.yaml says; rows are compared once
    // every region runs the same step
    const behind = await regionsBehind(
      selected.filter((r) => sessions.has(r.name)).map((r) => ({ region: r.name, pending: partial.get(r.name)!.pending ?? [] })),
      dir,
    );
    for (const r of behind) {
      const state = partial.get(r.name)!;
      const pending = state.pending!;
      // its columns are those of the steps it applied, not yet those regions.yaml names
      state.findings = state.findings.filter((f) => f.rule !== 'RV203');
      state.skipped.push('columns against regions.yaml (RV203): rollout in progress, steps not applied here yet');
      state.findings.push({
        rule: 'RV402',
        name: RULES.RV402.name,
        level: 'warning',
        region: r.name,
        object: `migrations ${pending[0]}`,
        detail: `rollout in progress: regions ${behind.map((b) => `"${b.name}"`).join(', ')} behind ("${r.name}" has ${pending.length} generated file(s) not applied, from ${pending[0]})`,
        fix: `run \`pg-residency migrate up --all\` (or \`migrate up --region ${r.name}\`); verify compares rows once every region runs the same step`,
      });
    }
    if (behind.length > 0) {
      for (const s of partial.values())
        s.skipped.push(`rows (RV1xx): rollout in progress, regions ${behind.map((b) => `"${b.name}"`).join(', ')} behind`);
    } else {
      try {
        rows = await auditRows(config, sessions);
      } catch (error) {
        for (const region of sessions.keys()) partial.get(region)!.error = wrap(region, error);
        // the failed statement aborted each transaction: start them again, so the links are tested for what they are
        await Promise.all(
          [...sessions.values()].map((s) =>
            s.query('ROLLBACK; BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY').catch(() => undefined),
          ),
        );
      }
    }
    await Promise.all(
      [...sessions].map(async ([region, s]) => {
        const state = partial.get(region)!;
        state.links = await checkLinks(config, s);
        for (const l of state.links.filter((x) => !x.ok))
          state.findings.push({
            rule: 'RV401',
            name: RULES.RV401.name,
            level: 'error',
            region,
            object: `server ${l.to}`,
            detail: `"${region}" cannot reach "${l.to}": ${l.error ?? 'no answer'}`,
            fix: linkFix(
              config,
              region,
              config.regions.find((r) => r.name === l.to)!,
              l.error ?? '',
            ),
          });
        await s.query('COMMIT').catch(() => undefined);
      }),
    );

    const findings: Finding[] = [];
    const regions: RegionVerify[] = selected.map((region) => {
      const state = partial.get(region.name)!;
      const s = sessions.get(region.name);
      findings.push(...state.findings);
      const result: RegionVerify = {
        region: region.name,
        directoryRows: rows.reduce((n, e) => n + (e.directoryRows[region.name] ?? 0), 0),
        personalRows: rows.reduce((n, e) => n + (e.personalRows[region.name] ?? 0), 0),
        links: state.links,
        roundTrips: s?.roundTrips() ?? 0,
        applied: state.applied,
        skipped: state.skipped,
        ...(state.error ? { error: state.error } : {}),
      };
      options.onRegion?.(result, performance.now() - started);
      return result;
    });
    for (const e of rows) findings.push(...e.findings);
    const seen = new Set<string>();
    const unique = findings.filter((f) => {
      const id = `${f.rule}\u0000${f.region}\u0000${f.object}\u0000${f.detail}`;
      return seen.has(id) ? false : (seen.add(id), true);
    });
    const rules: Partial<Record<RuleId, number>> = {};
    for (const f of unique) rules[f.rule] = (rules[f.rule] ?? 0) + 1;
    const errors = unique.filter((f) => f.level === 'error').length;
    return {
      ok: errors === 0 && regions.every((r) => r.error === undefined),
      regions,
      findings: unique,
      summary: {
        errors,
        warnings: unique.length - errors,
        rules,
        entities: Object.fromEntries(
          rows.map((e) => [
            e.entity,
            { directoryRows: Math.max(0, ...Object.values(e.directoryRows)), bucketsDiffering: e.bucketsDiffering },
          ]),
        ),
        elapsedMs: Math.round(performance.now() - started),
      },
    };
  } finally {
    await Promise.all([...sessions.values()].map((s) => s.end()));
  }
}
