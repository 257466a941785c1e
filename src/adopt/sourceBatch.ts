import type { AdoptColumns } from './adoptColumns.js';
import type { KeyRange } from './adoptSql.js';
import { copyFields, copyValue } from './copyText.js';
import { rowValue, SetHash, type RowValue } from './setHash.js';

/** One source row placed in a region of the fleet. */
export interface SourceRow {
  /** The key's value (decoded), as `key::text` shows it. */
  readonly key: string;
  readonly owner: string;
  /** The row's fields as COPY text: the entity's columns, still escaped. */
  readonly fields: readonly string[];
  /** md5 of the directory part, md5 of the personal part, as the source computed them. */
  readonly directoryHash: string;
  readonly personalHash: string;
  /** What each of the two adds to a set hash ({@link rowValue}). */
  readonly directoryValue: RowValue;
  readonly personalValue: RowValue;
}

/**
 * A range of the source in key order, with what every region should hold of
 * it: the same directory rows everywhere, each personal row in its owner.
 */
export interface SourceBatch {
  /** Position in key order, from 0. */
  readonly ordinal: number;
  readonly range: KeyRange;
  /** Rows whose region is in the fleet, in key order. */
  readonly rows: readonly SourceRow[];
  /** Set hash of the directory rows ({@link SetHash}: `count:sum`, `0:0` for none), as a region computes it. */
  readonly directoryHash: string;
  /** Per region, set hash of its personal rows (absent: none). */
  readonly personalHash: ReadonlyMap<string, string>;
  /** Rows read from the source in this range, placed or not. */
  readonly read: number;
  /** Keys read in this range whose region is NULL or unknown: a --changed-since pass looks them up in the fleet. */
  readonly unplacedKeys: readonly string[];
}

/** What the source held that adopt copies nowhere: keys only, never another column. */
export interface SourceProblems {
  /** Keys whose region is NULL or not in regions.yaml, with the region value (null for NULL). */
  readonly unplaced: { key: string; region: string | null }[];
  /** Keys the query yields more than once (the first row is adopted). */
  readonly duplicates: string[];
  /** Rows with a NULL key. */
  nullKeys: number;
  /** Counts beyond the listed keys (the lists stop at a limit). */
  unplacedCount: number;
  duplicateCount: number;
}

/** At most this many keys per kind of problem are kept for the report; the counts are exact. */
export const KEY_REPORT_LIMIT = 1000;

/**
 * Cuts the source's rows, in key order, into ranges of `size` rows. A batch
 * is handed out once the next row shows where it ends, so the ranges tile the
 * key space with no gap: (previous end, this end], the last one open. Pure:
 * it takes lines and returns batches.
 */
export class SourceBatcher {
  private rows: SourceRow[] = [];
  private unplacedKeys: string[] = [];
  private read = 0;
  private ordinal = 0;
  private lo: string | null = null;
  private lastKey: string | null = null;
  readonly problems: SourceProblems = { unplaced: [], duplicates: [], nullKeys: 0, unplacedCount: 0, duplicateCount: 0 };

  constructor(
    private readonly columns: AdoptColumns,
    private readonly regions: ReadonlySet<string>,
    private readonly size: number,
  ) {}

  /** One line of the source's COPY text; a full batch when this line starts the next one. */
  push(line: string): SourceBatch | undefined {
    const fields = copyFields(line);
    const n = this.columns.all.length;
    const key = copyValue(fields[0]!);
    if (key === null) {
      this.problems.nullKeys++;
      return undefined;
    }
    if (key === this.lastKey) {
      if (this.problems.duplicates.length < KEY_REPORT_LIMIT) this.problems.duplicates.push(key);
      this.problems.duplicateCount++;
      return undefined;
    }
    let full: SourceBatch | undefined;
    if (this.read >= this.size) full = this.cut(this.lastKey);
    this.lastKey = key;
    this.read++;
    const region = copyValue(fields[1]!);
    if (region === null || !this.regions.has(region)) {
      if (this.problems.unplaced.length < KEY_REPORT_LIMIT) this.problems.unplaced.push({ key, region });
      this.problems.unplacedCount++;
      this.unplacedKeys.push(key);
      return full;
    }
    const directoryHash = fields[n]!;
    const personalHash = fields[n + 1]!;
    this.rows.push({
      key,
      owner: region,
      fields: fields.slice(0, n),
      directoryHash,
      personalHash,
      directoryValue: rowValue(directoryHash),
      personalValue: rowValue(personalHash),
    });
    return full;
  }

  /** The last batch, open to the end of the key space (empty when the source is). */
  end(): SourceBatch {
    return this.cut(null);
  }

  private cut(hi: string | null): SourceBatch {
    const rows = this.rows;
    const directory = new SetHash();
    const personal = new Map<string, SetHash>();
    for (const r of rows) {
      directory.add(r.directoryValue);
      let h = personal.get(r.owner);
      if (h === undefined) personal.set(r.owner, (h = new SetHash()));
      h.add(r.personalValue);
    }
    const batch: SourceBatch = {
      ordinal: this.ordinal++,
      range: { lo: this.lo, hi },
      rows,
      directoryHash: directory.toString(),
      personalHash: new Map([...personal].map(([region, h]) => [region, h.toString()])),
      read: this.read,
      unplacedKeys: this.unplacedKeys,
    };
    this.rows = [];
    this.unplacedKeys = [];
    this.read = 0;
    this.lo = hi;
    return batch;
  }
}

/** Rows per bucket when a differing range is compared bucket by bucket. */
export const BUCKET_ROWS = 16;

/** A range cut into buckets of BUCKET_ROWS placed rows, as `width_bucket(key, thresholds)` buckets the fleet's keys. */
export interface RangeBuckets {
  /** The key starting each bucket after the first (bucket b holds keys >= thresholds[b - 1] and < thresholds[b]). */
  readonly thresholds: readonly string[];
  /** Per bucket, set hash of its directory rows. */
  readonly directory: readonly string[];
  /** Per bucket, set hash of the region's personal rows (absent: none). */
  readonly personal: ReadonlyMap<number, string>;
}

/** The buckets of a range for one region. Pure. */
export function rangeBuckets(batch: SourceBatch, region: string): RangeBuckets {
  const thresholds: string[] = [];
  const directory: string[] = [];
  const personal = new Map<number, string>();
  for (let start = 0; start < batch.rows.length; start += BUCKET_ROWS) {
    const b = start / BUCKET_ROWS;
    if (start > 0) thresholds.push(batch.rows[start]!.key);
    const d = new SetHash();
    let p: SetHash | undefined;
    for (let i = start; i < Math.min(start + BUCKET_ROWS, batch.rows.length); i++) {
      const r = batch.rows[i]!;
      d.add(r.directoryValue);
      if (r.owner === region) (p ??= new SetHash()).add(r.personalValue);
    }
    directory.push(d.toString());
    if (p) personal.set(b, p.toString());
  }
  return { thresholds, directory, personal };
}
