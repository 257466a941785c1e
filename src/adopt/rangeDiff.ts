import type { SourceBatch, SourceRow } from './sourceBatch.js';

/** A key of the range as one region holds it: its directory row's hash, its personal row's hash (this region's leaf). */
export interface FleetKey {
  readonly t: 'd' | 'l';
  readonly key: string;
  readonly h: string;
}

/** What one region must change so that its part of a range equals the source's. */
export interface RangeDiff {
  /** Directory rows missing or different here. */
  readonly directory: readonly SourceRow[];
  /** This region's personal rows missing or different here. */
  readonly personal: readonly SourceRow[];
  /** Personal rows here whose key the source places in another region: removed (the owner's copy is written there). */
  readonly moved: readonly string[];
  /** Directory keys here that the source does not place (deleted there, or its region now unknown): removed only with --delete. */
  readonly extraDirectory: readonly string[];
  /** Personal rows here whose key the source does not place: removed only with --delete. */
  readonly extraPersonal: readonly string[];
}

/**
 * The difference between a range of the source and one region's rows in it,
 * by key and row hash. Pure.
 */
export function rangeDiff(batch: SourceBatch, region: string, fleet: readonly FleetKey[]): RangeDiff {
  const directoryHere = new Map<string, string>();
  const personalHere = new Map<string, string>();
  for (const f of fleet) (f.t === 'd' ? directoryHere : personalHere).set(f.key, f.h);
  const placed = new Map(batch.rows.map((r) => [r.key, r]));
  const directory: SourceRow[] = [];
  const personal: SourceRow[] = [];
  for (const r of batch.rows) {
    if (directoryHere.get(r.key) !== r.directoryHash) directory.push(r);
    if (r.owner === region && personalHere.get(r.key) !== r.personalHash) personal.push(r);
  }
  const moved: string[] = [];
  const extraPersonal: string[] = [];
  for (const key of personalHere.keys()) {
    const source = placed.get(key);
    if (source === undefined) extraPersonal.push(key);
    else if (source.owner !== region) moved.push(key);
  }
  const extraDirectory = [...directoryHere.keys()].filter((key) => !placed.has(key));
  return { directory, personal, moved, extraDirectory, extraPersonal };
}

/** Whether a region's part of a range needs no change at all. */
export const isEmptyDiff = (d: RangeDiff): boolean =>
  d.directory.length + d.personal.length + d.moved.length + d.extraDirectory.length + d.extraPersonal.length === 0;
