import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Env } from '../config/expandEnv.js';
import type { Config, Entity } from '../config/types.js';
import { doctorFleet } from '../doctor/doctorFleet.js';
import { ResidencyError } from '../errors.js';
import { adoptColumns } from './adoptColumns.js';
import type { AdoptProgress } from './adoptProgress.js';
import { bareQuery, type ChangedSince } from './adoptSql.js';
import { RegionAdopter, type RangeOutcome } from './regionAdopter.js';
import { KEY_REPORT_LIMIT, SourceBatcher, type SourceBatch } from './sourceBatch.js';
import { countSource, SourceSession } from './sourceSession.js';

export type { AdoptProgress } from './adoptProgress.js';

/** Input of {@link adoptEntity}. */
export interface AdoptInput {
  readonly config: Config;
  readonly env: Env;
  /** `schema.name`, or a name only one schema has. */
  readonly entity: string;
  /** The source database's url (its password is never printed; PGPASSWORD when it has none). */
  readonly from: string;
  /** A SELECT run in the source, yielding the entity's columns by name (key, region, mirrored, resident). */
  readonly query: string;
  /** Source rows per range (key order): the unit of comparison, of a transaction per region, and of resumption. Default 10,000. */
  readonly batch?: number;
  /** Remove keys the fleet holds and the source does not place; without it they are reported and kept. */
  readonly delete?: boolean;
  /** Compare only, write nothing: exit 1 while the fleet differs from the source. */
  readonly check?: boolean;
  /**
   * A column the query yields whose value grows with every write of a row
   * (`updated_at`): after a complete run, the next one reads only the rows
   * whose value is at least the largest the last run saw, and compares them
   * key by key (a full pass follows when the counts show deleted rows).
   */
  readonly changedSince?: string;
  /** Called about once a second while rows flow. */
  readonly onProgress?: (p: AdoptProgress) => void;
  readonly progressEveryMs?: number;
}

/** One region's part of a run. */
export interface RegionAdoptSummary {
  readonly region: string;
  /** Directory rows written here (new or changed). */
  readonly directoryRows: number;
  /** Personal rows written here (this region owns them). */
  readonly personalRows: number;
  /** Personal rows removed here because the source places their key in another region. */
  readonly moved: number;
  /** Rows removed here with --delete. */
  readonly deleted: number;
  /** COPY text sent here. */
  readonly bytes: number;
  /** Ranges found equal to the source (nothing written), and ranges written. */
  readonly rangesSame: number;
  readonly rangesWritten: number;
  /** Time this region's session was busy. */
  readonly ms: number;
  /** Of that time, milliseconds per phase (compare, copy, upsert, remove, verify, checkpoint, commit): where the time goes. */
  readonly phases: Readonly<Record<string, number>>;
}

/** A list of keys, cut at a limit, and the exact count. */
export interface KeyList<T> {
  readonly count: number;
  readonly keys: readonly T[];
}

/** The result of {@link adoptEntity}: keys and counts only, never another column. */
export interface AdoptReport {
  /** The fleet equals the source (every placed row everywhere it belongs, nothing else): exit 0. */
  readonly ok: boolean;
  readonly entity: string;
  readonly check: boolean;
  /** Which rows were compared: all (`full`), those changed since the last run's mark, or those and then all (rows were deleted). */
  readonly mode: 'full' | 'changed' | 'changed, then full';
  readonly source: { readonly rows: number; readonly placed: number; readonly ranges: number };
  readonly regions: readonly RegionAdoptSummary[];
  /** Source rows whose region is NULL or not in regions.yaml: copied nowhere (a warning; not a failure). */
  readonly unplaced: KeyList<{ readonly key: string; readonly region: string | null }>;
  /** Keys the query yields more than once: the first row is adopted. */
  readonly duplicates: KeyList<string>;
  readonly nullKeys: number;
  /** Keys the fleet holds that the source does not place, kept (no --delete): one entry per key and region. */
  readonly extra: KeyList<{ readonly region: string; readonly key: string }>;
  /** Keys whose rows differ from the source's after adopt (with --check: before). */
  readonly mismatched: KeyList<{ readonly region: string; readonly key: string }>;
  readonly elapsedMs: number;
  /** Of elapsedMs: waiting for the source's rows, and cutting them into ranges (hashing included) in this process. */
  readonly sourceMs: number;
  readonly batchMs: number;
}

/** How many ranges may be read ahead of the slowest region. */
const READ_AHEAD = 2;

/** The entity `name` (`schema.name`, or a name unique across schemas) of regions.yaml, or an error listing them. */
export function findEntity(config: Config, name: string): Entity {
  const found = config.entities.filter((e) => `${e.schema}.${e.name}` === name || (!name.includes('.') && e.name === name));
  if (found.length === 1) return found[0]!;
  const known = config.entities.map((e) => `"${e.schema}.${e.name}"`).join(', ');
  throw new ResidencyError(
    'CONFIG',
    found.length === 0
      ? `regions.yaml has no entity "${name}"; it has ${known || 'none'}`
      : `entity "${name}" is in more than one schema (${found.map((e) => `"${e.schema}.${e.name}"`).join(', ')}): name it as schema.name`,
  );
}

/**
 * Brings the rows a query yields in a source database into the fleet: each
 * row's directory part to every region, its personal part to its owner only.
 * The source is read once, in key order, in one snapshot, through COPY; it is
 * cut into ranges of `batch` rows, and each region compares each range with
 * what it holds (md5 of row hashes in key order) and writes only the ranges,
 * then only the keys, that differ, through COPY, in one transaction per range
 * that also checks the result and records a checkpoint. A second run writes
 * nothing; a run after a kill goes on where the last one stopped; a run
 * during a cut-over copies only what changed. Refuses to start when doctor
 * would refuse the fleet. Holds the fleet lock in every region (no migrate
 * meanwhile). The application must not write the adopted keys through the
 * API until the last run has ended (docs/guides/adopting.md).
 */
export async function adoptEntity(input: AdoptInput): Promise<AdoptReport> {
  const started = performance.now();
  const entity = findEntity(input.config, input.entity);
  const label = `${entity.schema}.${entity.name}`;
  const size = input.batch ?? 10_000;
  if (!Number.isInteger(size) || size < 1)
    throw new ResidencyError('USAGE', `--batch must be a whole number of rows, at least 1 (got ${size})`);

  const doctor = await doctorFleet(input.config, input.env);
  if (!doctor.ok) {
    const blocking = doctor.regions.flatMap((r) =>
      r.error
        ? [`${r.region}: ${r.error.message}`]
        : r.findings.filter((f) => f.level === 'error').map((f) => `${r.region}: ${f.id} ${f.title}`),
    );
    throw new ResidencyError(
      'MIGRATION',
      `the fleet is not ready, adopt wrote nothing: ${blocking.join('; ')}. Run \`pg-residency doctor --all\` for the fixes`,
    );
  }

  const source = await SourceSession.open(input.from, input.env);
  const adopters: RegionAdopter[] = [];
  let timer: NodeJS.Timeout | undefined;
  let counting: ReturnType<typeof countSource> | undefined;
  try {
    await source.checkColumns(entity, input.query, input.changedSince);
    const options = {
      deleteExtra: input.delete === true,
      check: input.check === true,
      fingerprint: createHash('md5')
        .update(`${label}\n${bareQuery(input.query)}`)
        .digest('hex'),
    };
    for (const region of input.config.regions) adopters.push(await RegionAdopter.open(region, input.env, entity, options));
    const regionNames = input.config.regions.map((r) => r.name);

    // --changed-since: the mark every region recorded after the last complete run (the largest value
    // of the column it saw), and the largest value in this run's snapshot, read before its rows
    const markSource = createHash('md5')
      .update(`${label}\n${bareQuery(input.query)}\n${input.changedSince ?? ''}`)
      .digest('hex');
    let since: ChangedSince | undefined;
    let nextMark: string | null = null;
    if (input.changedSince !== undefined && input.check !== true) {
      const column = input.changedSince;
      const { mark, type } = await source.mark(input.query, column);
      nextMark = mark;
      const marks = await Promise.all(adopters.map((a) => a.mark(markSource)));
      if (marks[0] !== null && marks[0] !== undefined && marks.every((m) => m === marks[0])) since = { column, type, mark: marks[0] };
    }

    let total: number | undefined;
    if (since === undefined) {
      counting = countSource(input.from, input.env, input.query);
      counting.total.then(
        (n) => (total = n),
        () => undefined, // the ETA only
      );
    }
    const summaries = new Map(input.config.regions.map((r) => [r.name, emptySummary(r.name)]));
    let done = 0;
    const progress = () => input.onProgress?.({ rows: done, total, elapsedMs: performance.now() - started });
    timer = setInterval(progress, input.progressEveryMs ?? 1000);
    let sourceMs = 0;
    let batchMs = 0;

    /** One pass over the source: every row (`byKey` false), or the rows changed since the mark. */
    const pass = async (changed: ChangedSince | undefined) => {
      const byKey = changed !== undefined;
      const extra: { region: string; key: string }[] = [];
      const mismatched: { region: string; key: string }[] = [];
      let extraCount = 0;
      let mismatchedCount = 0;
      let placed = 0;
      let ranges = 0;
      done = 0;
      const take = async (batch: SourceBatch): Promise<void> => {
        const outcomes = await Promise.all(adopters.map(async (a) => ({ region: a.region, o: await a.enqueue(batch, byKey) })));
        for (const { region, o } of outcomes) {
          add(summaries.get(region)!, o);
          extraCount += o.extra.length;
          mismatchedCount += o.mismatched.length;
          for (const key of o.extra) if (extra.length < KEY_REPORT_LIMIT) extra.push({ region, key });
          for (const key of o.mismatched) if (mismatched.length < KEY_REPORT_LIMIT) mismatched.push({ region, key });
        }
        done += batch.read;
        placed += batch.rows.length;
        ranges++;
      };

      const batcher = new SourceBatcher(adoptColumns(entity), new Set(regionNames), size);
      const inFlight: Promise<void>[] = [];
      const submit = async (batch: SourceBatch) => {
        const p = take(batch);
        p.catch(() => undefined); // awaited below, in order
        inFlight.push(p);
        while (inFlight.length > READ_AHEAD) await inFlight.shift();
      };
      let t = performance.now();
      for await (const lines of source.lines(entity, input.query, changed)) {
        const t1 = performance.now();
        sourceMs += t1 - t;
        for (const line of lines) {
          const t2 = performance.now();
          const full = batcher.push(line);
          batchMs += performance.now() - t2;
          if (full) await submit(full);
        }
        t = performance.now();
      }
      sourceMs += performance.now() - t;
      await submit(batcher.end());
      while (inFlight.length > 0) await inFlight.shift();
      return { problems: batcher.problems, extra, mismatched, extraCount, mismatchedCount, placed, ranges, read: done };
    };

    let mode: AdoptReport['mode'] = since === undefined ? 'full' : 'changed';
    let result = await pass(since);
    if (since !== undefined && result.extraCount + result.mismatchedCount === 0) {
      // the count check: every key the source places is in the fleet (the last complete run put it there,
      // this pass the changed ones), so a region holding more rows than the source places holds keys the
      // source deleted (or left unplaced): the full comparison finds them
      const [want, have] = await Promise.all([
        source.placed(entity, input.query, regionNames),
        Promise.all(adopters.map((a) => a.counts())),
      ]);
      const all = [...want.values()].reduce((n, x) => n + x, 0);
      if (adopters.some((a, i) => have[i]!.d !== all || have[i]!.l !== (want.get(a.region) ?? 0))) {
        mode = 'changed, then full';
        result = await pass(undefined);
      }
    }
    clearInterval(timer);
    timer = undefined;
    progress();

    const p = result.problems;
    const ok = result.extraCount === 0 && result.mismatchedCount === 0 && p.duplicateCount === 0 && p.nullKeys === 0;
    // the next --changed-since run starts from this run's mark, once this one left the fleet equal to the source
    if (ok && nextMark !== null) await Promise.all(adopters.map((a) => a.setMark(markSource, nextMark)));
    return {
      ok,
      entity: label,
      check: input.check === true,
      mode,
      source: { rows: result.read + p.duplicateCount + p.nullKeys, placed: result.placed, ranges: result.ranges },
      regions: [...summaries.values()].map((s) => ({
        ...s,
        ms: Math.round(s.ms),
        phases: Object.fromEntries([...adopters.find((a) => a.region === s.region)!.phases].map(([k, v]) => [k, Math.round(v)])),
      })),
      unplaced: { count: p.unplacedCount, keys: p.unplaced },
      duplicates: { count: p.duplicateCount, keys: p.duplicates },
      nullKeys: p.nullKeys,
      extra: { count: result.extraCount, keys: result.extra },
      mismatched: { count: result.mismatchedCount, keys: result.mismatched },
      elapsedMs: Math.round(performance.now() - started),
      sourceMs: Math.round(sourceMs),
      batchMs: Math.round(batchMs),
    };
  } finally {
    if (timer) clearInterval(timer);
    await Promise.all([source.close(), counting?.stop(), ...adopters.map((a) => a.close())]);
  }
}

type MutableSummary = { -readonly [K in keyof RegionAdoptSummary]: RegionAdoptSummary[K] };

function emptySummary(region: string): MutableSummary {
  return { region, directoryRows: 0, personalRows: 0, moved: 0, deleted: 0, bytes: 0, rangesSame: 0, rangesWritten: 0, ms: 0, phases: {} };
}

function add(s: MutableSummary, o: RangeOutcome): void {
  s.directoryRows += o.directoryRows;
  s.personalRows += o.personalRows;
  s.moved += o.moved;
  s.deleted += o.deleted;
  s.bytes += o.bytes;
  if (o.same) s.rangesSame++;
  else if (o.directoryRows + o.personalRows + o.moved + o.deleted > 0) s.rangesWritten++;
  s.ms += o.ms;
}
