import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { ADOPT_SCHEMA } from '../config/derivedNames.js';
import type { Env } from '../config/expandEnv.js';
import type { Entity, Region } from '../config/types.js';
import { ResidencyError } from '../errors.js';
import { connectRegion, regionError } from '../migrate/connect.js';
import { FLEET_LOCK } from '../migrate/fleetLock.js';
import { adoptColumns, adoptTables, type AdoptColumns } from './adoptColumns.js';
import {
  ADOPT_SESSION_SETTINGS,
  checkpointDdl,
  checkpointSql,
  copyInSql,
  fleetCountSql,
  markDdl,
  markSql,
  setMarkSql,
  bucketDiffSql,
  deleteKeysSql,
  keysHashSql,
  rangeHashSql,
  rangeKeysSql,
  stagingName,
  stagingSql,
  upsertSql,
  type KeyRange,
} from './adoptSql.js';
import { isEmptyDiff, rangeDiff, type FleetKey, type RangeDiff } from './rangeDiff.js';
import { BUCKET_ROWS, rangeBuckets, type SourceBatch, type SourceRow } from './sourceBatch.js';

/** What adopt did with one range in one region. */
export interface RangeOutcome {
  /** The region held the range exactly as the source does: nothing was written. */
  readonly same: boolean;
  readonly directoryRows: number;
  readonly personalRows: number;
  /** Personal rows removed here because the source places their key elsewhere. */
  readonly moved: number;
  /** Rows removed with --delete (directory and personal). */
  readonly deleted: number;
  /** Keys here the source does not place, left in place (no --delete). */
  readonly extra: readonly string[];
  /** Keys whose rows here still differ from the source's after the write (with --check: that differ). */
  readonly mismatched: readonly string[];
  /** COPY text sent to the region. */
  readonly bytes: number;
  /** Time the region's session spent on the range. */
  readonly ms: number;
}

/** How a region's part of a run behaves. */
export interface RegionAdopterOptions {
  /** Remove keys the source does not place (--delete). */
  readonly deleteExtra: boolean;
  /** Compare only: write nothing, not even checkpoints (--check). */
  readonly check: boolean;
  /** md5 of the source query, recorded with each checkpoint. */
  readonly fingerprint: string;
}

type Hashes = { dn: number; dh: string; ln: number; lh: string };

/** The set hash of no row. */
const EMPTY_SET = '0:0';

/**
 * One region's side of an adopt run, on one session that holds the fleet lock
 * for the whole run (no migrate meanwhile, no second adopt). Ranges are taken
 * in order, one transaction each: compared by hash (or, right after a range
 * that differed, by key at once), and only when they differ, compared by key,
 * written through COPY (straight into the tables when the range is empty
 * here, else through a staging table and an upsert), read back and compared
 * with the source, and checkpointed, all before COMMIT. Personal rows reach
 * only their owner's session: the directory part of a row is cut from it
 * here. Key lists are joined with unnest, never `= ANY`: a table loaded in
 * the same transaction has no statistics, and a sequential scan would search
 * the array for every row.
 */
export class RegionAdopter {
  private tail: Promise<unknown> = Promise.resolve();
  /** Whether the last range taken here differed from the source. */
  private lastDiffered = false;
  private readonly columns: AdoptColumns;
  /** Milliseconds spent per phase (compare, copy, upsert, remove, verify, checkpoint, commit) over the run. */
  readonly phases = new Map<string, number>();
  private async timed<T>(phase: string, f: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await f();
    } finally {
      this.phases.set(phase, (this.phases.get(phase) ?? 0) + performance.now() - t0);
    }
  }

  private constructor(
    readonly region: string,
    private readonly client: pg.Client,
    private readonly entity: Entity,
    private readonly options: RegionAdopterOptions,
  ) {
    this.columns = adoptColumns(entity);
  }

  /** Connects, takes the fleet lock, checks the entity's tables, prepares the staging tables and the checkpoint table. */
  static async open(region: Region, env: Env, entity: Entity, options: RegionAdopterOptions): Promise<RegionAdopter> {
    const client = await connectRegion(region, env, { purpose: 'adopt' });
    try {
      await client.query(ADOPT_SESSION_SETTINGS);
      await takeLock(client, region.name);
      const tables = adoptTables(entity, region.name);
      const { rows } = await client.query<{ d: string | null; l: string | null }>('SELECT to_regclass($1) AS d, to_regclass($2) AS l', [
        tables.directory,
        tables.leaf,
      ]);
      const missing = [rows[0]?.d === null ? tables.directory : undefined, rows[0]?.l === null ? tables.leaf : undefined].filter(Boolean);
      if (missing.length > 0)
        throw new ResidencyError(
          'MIGRATION',
          `region "${region.name}": ${missing.join(' and ')} ${missing.length === 1 ? 'does' : 'do'} not exist: run \`pg-residency migrate up --all\` before adopt`,
        );
      await client.query(`${stagingSql(entity, region.name, 'directory')}; ${stagingSql(entity, region.name, 'leaf')}`);
      if (!options.check) await createCheckpoints(client, region.name);
      return new RegionAdopter(region.name, client, entity, options);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw regionError(region.name, error);
    }
  }

  /**
   * Adopts one range here after the ranges queued before it. `byKey` (a
   * --changed-since pass: the batch holds only the source's changed rows)
   * compares the batch's keys one by one, never the range's other keys, and
   * records no checkpoint.
   */
  enqueue(batch: SourceBatch, byKey = false): Promise<RangeOutcome> {
    const done = this.tail.then(async () => {
      const t0 = performance.now();
      const o = await this.adopt(batch, byKey);
      return { ...o, ms: performance.now() - t0 };
    });
    this.tail = done.catch(() => undefined);
    return done.catch((error: unknown) => {
      throw regionError(this.region, error, 'run the same adopt again when it is fixed: it goes on where it stopped');
    });
  }

  /** The --changed-since mark here of the entity and source (md5 of query and column), after the ranges queued. */
  mark(source: string): Promise<string | null> {
    return this.queued(async () => (await this.client.query<{ mark: string }>(markSql, [this.label, source])).rows[0]?.mark ?? null);
  }

  /** Records the --changed-since mark here, after the ranges queued. */
  setMark(source: string, mark: string): Promise<void> {
    return this.queued(async () => void (await this.client.query(setMarkSql, [this.label, source, mark])));
  }

  /** How many directory rows and personal rows this region holds, after the ranges queued. */
  counts(): Promise<{ d: number; l: number }> {
    return this.queued(async () => {
      const { rows } = await this.client.query<{ d: string; l: string }>(fleetCountSql(this.entity, this.region));
      return { d: Number(rows[0]!.d), l: Number(rows[0]!.l) };
    });
  }

  private get label(): string {
    return `${this.entity.schema}.${this.entity.name}`;
  }

  private queued<T>(f: () => Promise<T>): Promise<T> {
    const done = this.tail.then(f);
    this.tail = done.catch(() => undefined);
    return done.catch((error: unknown) => {
      throw regionError(this.region, error);
    });
  }

  /** Ends the session (a range in flight is rolled back, the fleet lock released). */
  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }

  private async adopt(batch: SourceBatch, byKey: boolean): Promise<RangeOutcome> {
    let fleet: FleetKey[];
    let rows = batch.rows;
    if (byKey) {
      const keys = [...batch.rows.map((r) => r.key), ...batch.unplacedKeys];
      if (keys.length === 0) return outcome({ same: true });
      fleet = await this.timed(
        'compare',
        async () => (await this.client.query<FleetKey>(keysHashSql(this.entity, this.region), [keys, keys])).rows,
      );
    } else if (this.lastDiffered) {
      // the previous range differed (a first run, a cut-over pass): this one likely does too, so it is
      // compared bucket by bucket at once, and only the keys of the buckets that differ are read (reading
      // every key and hash of the range instead measured 1.5 to 2x slower: this process parses them all)
      ({ rows, fleet } = await this.timed('compare', () => this.byBuckets(batch)));
    } else {
      const before = await this.timed('compare', () => this.hashes(batch.range));
      if (before.dh === batch.directoryHash && before.lh === (batch.personalHash.get(this.region) ?? EMPTY_SET))
        return outcome({ same: true });
      fleet = before.dn + before.ln === 0 ? [] : await this.timed('compare', () => this.keys(batch.range));
    }
    const diff = rangeDiff({ ...batch, rows }, this.region, fleet);
    const extra = [...new Set([...diff.extraDirectory, ...diff.extraPersonal])];
    if (!byKey) this.lastDiffered = !isEmptyDiff(diff);
    if (isEmptyDiff(diff)) return outcome({ same: true });
    const changed = [...new Set([...diff.directory.map((r) => r.key), ...diff.personal.map((r) => r.key), ...diff.moved])];
    if (this.options.check) return outcome({ mismatched: changed, extra });
    if (changed.length === 0 && !this.options.deleteExtra) return outcome({ extra });
    await this.client.query('BEGIN');
    try {
      // rows none of whose keys are here go straight into the table
      const here = { d: new Set<string>(), l: new Set<string>() };
      for (const f of fleet) here[f.t].add(f.key);
      let bytes = await this.write(
        'directory',
        diff.directory,
        diff.directory.every((r) => !here.d.has(r.key)),
      );
      bytes += await this.write(
        'leaf',
        diff.personal,
        diff.personal.every((r) => !here.l.has(r.key)),
      );
      const moved = await this.remove('leaf', diff.moved);
      const deleted = this.options.deleteExtra
        ? (await this.remove('directory', diff.extraDirectory)) + (await this.remove('leaf', diff.extraPersonal))
        : 0;
      // the verification: the keys compared equal before stay so (nobody else writes them, see adoptEntity);
      // the keys written or removed are read back and compared with the source: by the range's hash when
      // they are most of it (an index range scan), else one by one
      const mismatched = await this.timed('verify', () =>
        !byKey && changed.length * 2 > batch.rows.length ? this.rehash(batch) : this.recheck(diff),
      );
      if (!byKey)
        await this.timed('checkpoint', () =>
          this.client.query(checkpointSql, [
            `${this.entity.schema}.${this.entity.name}`,
            batch.ordinal,
            batch.range.lo,
            batch.range.hi,
            this.options.fingerprint,
            batch.rows.length,
            batch.rows.filter((r) => r.owner === this.region).length,
            batch.directoryHash,
            batch.personalHash.get(this.region) ?? EMPTY_SET,
          ]),
        );
      await this.timed('commit', () => this.client.query('COMMIT'));
      return outcome({
        directoryRows: diff.directory.length,
        personalRows: diff.personal.length,
        moved,
        deleted,
        bytes,
        mismatched,
        extra: this.options.deleteExtra ? [] : extra,
      });
    } catch (error) {
      await this.client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  /** Keys of the range whose rows here are not now what the source holds (extra keys aside). */
  private async rehash(batch: SourceBatch): Promise<string[]> {
    const after = await this.hashes(batch.range);
    if (after.dh === batch.directoryHash && after.lh === (batch.personalHash.get(this.region) ?? EMPTY_SET)) return [];
    const left = rangeDiff(batch, this.region, await this.keys(batch.range));
    return [...new Set([...left.directory.map((r) => r.key), ...left.personal.map((r) => r.key), ...left.moved])];
  }

  /** Keys written or removed whose rows here are not now what the source holds. */
  private async recheck(diff: RangeDiff): Promise<string[]> {
    const directory = new Map(diff.directory.map((r) => [r.key, r.directoryHash]));
    const personal = new Map(diff.personal.map((r) => [r.key, r.personalHash]));
    const gone = {
      d: new Set(this.options.deleteExtra ? diff.extraDirectory : []),
      l: new Set([...diff.moved, ...(this.options.deleteExtra ? diff.extraPersonal : [])]),
    };
    const { rows } = await this.client.query<FleetKey>(keysHashSql(this.entity, this.region), [
      [...directory.keys(), ...gone.d],
      [...personal.keys(), ...gone.l],
    ]);
    const seen = { d: new Map<string, string>(), l: new Map<string, string>() };
    for (const r of rows) seen[r.t].set(r.key, r.h);
    const wrong = new Set<string>();
    for (const [key, h] of directory) if (seen.d.get(key) !== h) wrong.add(key);
    for (const [key, h] of personal) if (seen.l.get(key) !== h) wrong.add(key);
    for (const t of ['d', 'l'] as const) for (const key of gone[t]) if (seen[t].has(key)) wrong.add(key);
    return [...wrong];
  }

  private async hashes(range: KeyRange): Promise<Hashes> {
    const { sql, params } = rangeHashSql(this.entity, this.region, range);
    return (await this.client.query<Hashes>(sql, params)).rows[0]!;
  }

  /** The rows of the buckets that differ here, and every key here in them: one query, one scan of each table. */
  private async byBuckets(batch: SourceBatch): Promise<{ rows: readonly SourceRow[]; fleet: FleetKey[] }> {
    const source = rangeBuckets(batch, this.region);
    const q = bucketDiffSql(this.entity, this.region, batch.range, {
      thresholds: source.thresholds,
      directory: source.directory,
      personal: source.directory.map((_, b) => source.personal.get(b) ?? null),
    });
    const { rows: here } = await this.client.query<{ t: 'D' | 'L' | 'd' | 'l'; b: number; key: string | null; h: string }>(q.sql, q.params);
    const hashes = { d: new Map<number, string>(), l: new Map<number, string>() };
    const fleet: FleetKey[] = [];
    for (const r of here) {
      if (r.t === 'D') hashes.d.set(r.b, r.h);
      else if (r.t === 'L') hashes.l.set(r.b, r.h);
      else fleet.push({ t: r.t, key: r.key!, h: r.h });
    }
    // nothing here in the range (a first run): every row is written
    if (hashes.d.size + hashes.l.size === 0) return { rows: batch.rows, fleet: [] };
    const differing: number[] = [];
    const last = Math.max(source.directory.length - 1, ...hashes.d.keys(), ...hashes.l.keys());
    for (let b = 0; b <= last; b++)
      if (hashes.d.get(b) !== source.directory[b] || hashes.l.get(b) !== source.personal.get(b)) differing.push(b);
    return { rows: differing.flatMap((b) => batch.rows.slice(b * BUCKET_ROWS, (b + 1) * BUCKET_ROWS)), fleet };
  }

  private async keys(range: KeyRange): Promise<FleetKey[]> {
    const { sql, params } = rangeKeysSql(this.entity, this.region, range);
    return (await this.client.query<FleetKey>(sql, params)).rows;
  }

  /** COPYs rows' directory or personal part: into the table when the range is empty here, else staged and upserted. */
  private async write(part: 'directory' | 'leaf', rows: readonly SourceRow[], empty: boolean): Promise<number> {
    if (rows.length === 0) return 0;
    const at = part === 'directory' ? this.columns.directoryAt : this.columns.leafAt;
    let text = '';
    for (const r of rows) text += `${at.map((i) => r.fields[i]).join('\t')}\n`;
    const target = empty ? adoptTables(this.entity, this.region)[part] : stagingName(this.entity, part);
    await this.timed('copy', () => pipeline(Readable.from([text]), this.client.query(copyFrom(copyInSql(target, this.columns[part])))));
    if (!empty) await this.timed('upsert', () => this.client.query(upsertSql(this.entity, this.region, part)));
    return Buffer.byteLength(text);
  }

  private async remove(part: 'directory' | 'leaf', keys: readonly string[]): Promise<number> {
    if (keys.length === 0) return 0;
    return (await this.client.query(deleteKeysSql(this.entity, this.region, part), [keys])).rowCount ?? 0;
  }
}

function outcome(o: Partial<RangeOutcome>): RangeOutcome {
  return { same: false, directoryRows: 0, personalRows: 0, moved: 0, deleted: 0, extra: [], mismatched: [], bytes: 0, ms: 0, ...o };
}

/**
 * The fleet lock (the one migrate takes) on the session, for the whole run:
 * a migration changing the entity's tables, or a second adopt, must not run
 * meanwhile.
 */
async function takeLock(client: pg.Client, region: string): Promise<void> {
  const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::int4, $2::int4) AS locked', [
    FLEET_LOCK.classid,
    FLEET_LOCK.objid,
  ]);
  if (rows[0]?.locked === true) return;
  const holder = await client.query<{ pid: number; application_name: string | null }>(
    `SELECT a.pid, a.application_name FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::int4::oid AND l.objid = $2::int4::oid AND l.objsubid = 2
        AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())`,
    [FLEET_LOCK.classid, FLEET_LOCK.objid],
  );
  const who = holder.rows[0];
  throw new ResidencyError(
    'MIGRATION',
    `region "${region}": another pg-residency migrate or adopt holds the fleet lock${who ? ` (backend pid ${who.pid}, ${JSON.stringify(who.application_name ?? '')})` : ''}; adopt wrote nothing. Wait for it to finish, then run adopt again`,
  );
}

/** The checkpoint table, created on the first adopt; a role that may not create the schema gets the SQL an admin runs. */
async function createCheckpoints(client: pg.Client, region: string): Promise<void> {
  try {
    await client.query(`${checkpointDdl};\n${markDdl}`);
  } catch (error) {
    if ((error as { code?: string }).code !== '42501') throw error;
    const { rows } = await client.query<{ me: string }>('SELECT current_user AS me');
    throw new ResidencyError(
      'MIGRATION',
      `region "${region}": adopt keeps its checkpoints (keys, counts and hashes) in schema "${ADOPT_SCHEMA}", and role "${rows[0]?.me}" may not create it; an admin runs: CREATE SCHEMA "${ADOPT_SCHEMA}" AUTHORIZATION "${rows[0]?.me}";`,
      { cause: error },
    );
  }
}
