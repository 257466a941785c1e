import { derivedNames } from '../config/derivedNames.js';
import type { Column, Entity } from '../config/types.js';
import { ident, qualified } from '../sql/quote.js';

/**
 * The column lists adopt moves for one entity. The source yields them in
 * `all` order; a directory row is `directory` (to every region), a personal
 * row `leaf` (to its owner only).
 */
export interface AdoptColumns {
  /** key, region, mirrored..., resident... */
  readonly all: readonly string[];
  /** key, region, mirrored...: the directory table's columns, in its order. */
  readonly directory: readonly string[];
  /** key, region, resident...: the leaf's columns, in its order. */
  readonly leaf: readonly string[];
  /** Each column's type as regions.yaml declares it. */
  readonly types: ReadonlyMap<string, Column['type']>;
  /** Where each directory and leaf column sits in a source line. */
  readonly directoryAt: readonly number[];
  readonly leafAt: readonly number[];
}

/** The columns of `entity` as adopt reads them from the source and writes them to the fleet. */
export function adoptColumns(entity: Entity): AdoptColumns {
  const directory = [entity.key.name, entity.regionColumn, ...entity.mirrored.map((c) => c.name)];
  const leaf = [entity.key.name, entity.regionColumn, ...entity.resident.map((c) => c.name)];
  const all = [...directory, ...entity.resident.map((c) => c.name)];
  const types = new Map<string, Column['type']>([
    [entity.key.name, entity.key.type],
    [entity.regionColumn, 'text' as Column['type']],
    ...[...entity.mirrored, ...entity.resident].map((c) => [c.name, c.type] as const),
  ]);
  return { all, directory, leaf, types, directoryAt: directory.map((c) => all.indexOf(c)), leafAt: leaf.map((c) => all.indexOf(c)) };
}

/**
 * Key types compared by collation: ordered with `COLLATE "C"` on the source
 * and in every region, so both sort keys byte-wise whatever their databases'
 * collations are (range bounds and hashes in key order must agree).
 */
const COLLATABLE = /^\s*(text|varchar|character varying|char|character|bpchar|citext|name)\b/i;

/** `expr`, with `COLLATE "C"` when the key type is compared by collation. */
export function keyOrder(entity: Entity, expr: string): string {
  return COLLATABLE.test(entity.key.type) ? `${expr} COLLATE "C"` : expr;
}

/** The directory table and this region's leaf of an entity, quoted. */
export function adoptTables(entity: Entity, region: string): { directory: string; leaf: string } {
  return { directory: qualified(entity.schema, entity.name), leaf: qualified(region, derivedNames(entity.name).details) };
}

/** md5 of a row of the given columns of `alias`, as both the source and the regions compute it (`row(...)::text`). */
export function rowHash(columns: readonly string[], alias: string): string {
  return `md5(row(${columns.map((c) => `${alias}.${ident(c)}`).join(', ')})::text)`;
}

/**
 * What is wrong with the columns a source query yields, or an empty list: each
 * entity column must be there (a default would differ between regions), and
 * nothing else (a misspelt name would otherwise be dropped silently) but the
 * column --changed-since names (compared, never copied unless the entity has it).
 */
export function columnProblems(entity: Entity, yielded: readonly string[], changedSince?: string): string[] {
  const want = adoptColumns(entity).all;
  const label = `${entity.schema}.${entity.name}`;
  const problems: string[] = [];
  const missing = want.filter((c) => !yielded.includes(c));
  if (missing.length > 0)
    problems.push(
      `the query yields no column ${missing.map((c) => `"${c}"`).join(', ')} of ${label} (name each as regions.yaml does, e.g. \`SELECT id AS ${ident(want[0]!)} ...\`)`,
    );
  if (changedSince !== undefined && entity.resident.some((c) => c.name === changedSince))
    problems.push(
      `--changed-since names "${changedSince}", a resident (personal) column of ${label}: its largest value would be kept in every region; name a column that only tracks changes, such as updated_at`,
    );
  if (changedSince !== undefined && !yielded.includes(changedSince))
    problems.push(`the query yields no column "${changedSince}", which --changed-since names (add it to the query's columns)`);
  const extra = yielded.filter((c) => !want.includes(c) && c !== changedSince);
  if (extra.length > 0)
    problems.push(
      `the query yields ${extra.map((c) => `"${c}"`).join(', ')}, which ${label} does not have; it has ${want.map((c) => `"${c}"`).join(', ')}`,
    );
  const twice = yielded.filter((c, i) => yielded.indexOf(c) !== i);
  if (twice.length > 0) problems.push(`the query yields ${[...new Set(twice)].map((c) => `"${c}"`).join(', ')} more than once`);
  return problems;
}
