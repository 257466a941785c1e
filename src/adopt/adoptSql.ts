import { createHash } from 'node:crypto';
import { ADOPT_SCHEMA } from '../config/derivedNames.js';
import type { Entity } from '../config/types.js';
import { ident, literal, qualified } from '../sql/quote.js';
import { adoptColumns, adoptTables, keyOrder, rowHash } from './adoptColumns.js';
import { setHashSql } from './setHash.js';

/**
 * The SQL adopt runs, built from regions.yaml's names (quoted) and, for the
 * source only, the user's query (run as it is, inside a READ ONLY
 * transaction). Hashes are md5 of `row(...)::text` of the values cast to the
 * entity's types, computed by PostgreSQL on both sides, so a value compares
 * equal when the fleet stores what the source holds.
 */

/**
 * Session settings of every adopt session, source and regions: text output of
 * dates, intervals, floats and bytea must not depend on a server's defaults,
 * or the same value would hash differently in two places.
 */
export const ADOPT_SESSION_SETTINGS = [
  "SET DateStyle = 'ISO, YMD'",
  "SET IntervalStyle = 'postgres'",
  "SET TimeZone = 'UTC'",
  'SET extra_float_digits = 3',
  "SET bytea_output = 'hex'",
].join('; ');

/** The user's query without trailing semicolons and blanks: it is nested as a subquery. */
export function bareQuery(query: string): string {
  return query.replace(/[\s;]+$/u, '');
}

/** The columns the query yields, without reading a row. */
export const sourceColumnsSql = (query: string) => `SELECT * FROM (\n${bareQuery(query)}\n) q LIMIT 0`;

/** How many rows the query yields (for the ETA only). */
export const sourceCountSql = (query: string) => `SELECT count(*)::bigint AS n FROM (\n${bareQuery(query)}\n) q`;

/**
 * Rows changed since a mark: `column` (yielded by the query, of type `type`)
 * at least `mark`, the largest value the last complete run saw.
 */
export interface ChangedSince {
  readonly column: string;
  readonly type: string;
  readonly mark: string;
}

/**
 * The source's rows in key order as COPY text: the entity's columns cast to
 * its types (key, region, mirrored..., resident...), then md5 of the
 * directory part and md5 of the personal part; with `since`, only the rows
 * whose column is at least the mark.
 */
export function sourceCopySql(entity: Entity, query: string, since?: ChangedSince): string {
  const c = adoptColumns(entity);
  const cast = c.all.map((name) => `q.${ident(name)}::${c.types.get(name)} AS ${ident(name)}`).join(', ');
  const where = since ? `\n) q WHERE q.${ident(since.column)} >= ${literal(since.mark)}::${since.type}` : '\n) q';
  // sorted first, hashed after: the sort carries the columns only, not two md5 per row (a subquery with
  // ORDER BY is not pulled up, so its order is the order of the rows out)
  return `COPY (SELECT s.*, ${rowHash(c.directory, 's')}, ${rowHash(c.leaf, 's')}
  FROM (SELECT ${cast} FROM (
${bareQuery(query)}${where}
  ORDER BY ${keyOrder(entity, `q.${ident(entity.key.name)}::${entity.key.type}`)}) s) TO STDOUT`;
}

/** The largest value of the --changed-since column in the source (text), and its type. */
export const sourceMarkSql = (query: string, column: string) =>
  `SELECT max(q.${ident(column)})::text AS mark, pg_typeof(max(q.${ident(column)}))::text AS type FROM (\n${bareQuery(query)}\n) q`;

/** How many rows with a key the source places in each region ($1, text[]): the count check of a --changed-since pass. */
export const sourcePlacedSql = (entity: Entity, query: string) =>
  `SELECT q.${ident(entity.regionColumn)}::text AS region, count(*)::bigint AS n FROM (\n${bareQuery(query)}\n) q
  WHERE q.${ident(entity.key.name)} IS NOT NULL AND q.${ident(entity.regionColumn)}::text = ANY ($1::text[]) GROUP BY 1`;

/** How many directory rows and personal rows a region holds. */
export function fleetCountSql(entity: Entity, region: string): string {
  const t = adoptTables(entity, region);
  return `SELECT (SELECT count(*) FROM ONLY ${t.directory})::bigint AS d, (SELECT count(*) FROM ONLY ${t.leaf})::bigint AS l`;
}

/** A range of keys: after `lo` (exclusive, none: from the start) up to `hi` (inclusive, none: to the end). */
export interface KeyRange {
  readonly lo: string | null;
  readonly hi: string | null;
}

/**
 * `alias.key > $n AND alias.key <= $m` for the bounds a range has, and their
 * parameters. Every key parameter here is typed as the key (or an array of
 * it), so the server parses it once at bind: `$1::text::type` or
 * `$1::text[]::type[]` would be cast again for every row where the cast is
 * not folded (a stable input function such as timestamptz's; an array before
 * PostgreSQL 11: a bucket query took 10 s a range on 10).
 */
export function rangeWhere(entity: Entity, alias: string, range: KeyRange): { where: string; params: string[] } {
  const k = keyOrder(entity, `${alias}.${ident(entity.key.name)}`);
  const t = entity.key.type;
  const parts: string[] = [];
  const params: string[] = [];
  if (range.lo !== null) parts.push(`${k} > $${params.push(range.lo)}::${t}`);
  if (range.hi !== null) parts.push(`${k} <= $${params.push(range.hi)}::${t}`);
  return { where: parts.length === 0 ? 'true' : parts.join(' AND '), params };
}

/**
 * One row: the range's directory rows here (count, set hash) and this
 * region's personal rows in it (the same), one scan of each, no sort. A range
 * holding nothing has hash `0:0`.
 */
export function rangeHashSql(entity: Entity, region: string, range: KeyRange): { sql: string; params: string[] } {
  const c = adoptColumns(entity);
  const t = adoptTables(entity, region);
  const { where: dw, params } = rangeWhere(entity, 'm', range);
  const lw = rangeWhere(entity, 'd', range).where;
  return {
    sql: `SELECT d.n AS dn, d.h AS dh, l.n AS ln, l.h AS lh
  FROM (SELECT count(*)::int AS n, ${setHashSql(rowHash(c.directory, 'm'))} AS h FROM ONLY ${t.directory} m WHERE ${dw}) d,
       (SELECT count(*)::int AS n, ${setHashSql(rowHash(c.leaf, 'd'))} AS h FROM ONLY ${t.leaf} d WHERE ${lw}) l`,
    params,
  };
}

/** Every key of the range here with its row hash: `t` 'd' for a directory row, 'l' for a personal row of this region's leaf. */
export function rangeKeysSql(entity: Entity, region: string, range: KeyRange): { sql: string; params: string[] } {
  const c = adoptColumns(entity);
  const t = adoptTables(entity, region);
  const { where: dw, params } = rangeWhere(entity, 'm', range);
  const lw = rangeWhere(entity, 'd', range).where;
  const k = ident(entity.key.name);
  return {
    sql: `SELECT 'd' AS t, m.${k}::text AS key, ${rowHash(c.directory, 'm')} AS h FROM ONLY ${t.directory} m WHERE ${dw}
UNION ALL SELECT 'l', d.${k}::text, ${rowHash(c.leaf, 'd')} FROM ONLY ${t.leaf} d WHERE ${lw}`,
    params,
  };
}

/**
 * A range compared bucket by bucket in one scan of each table
 * (`width_bucket(key, thresholds)`, thresholds `$n`): rows `t` 'D' and 'L'
 * give each bucket's set hash here (directory rows, this region's personal
 * rows), rows `t` 'd' and 'l' every key here, with its row hash, in the
 * buckets where either part's hash differs from the source's (`$n+1`
 * directory, `$n+2` personal, per bucket from 0, NULL: none). The rows are
 * read once into a CTE (materialized: it is referenced twice), hashed once,
 * summed per bucket, and only the differing buckets' keys are sent.
 */
export function bucketDiffSql(
  entity: Entity,
  region: string,
  range: KeyRange,
  buckets: { readonly thresholds: readonly string[]; readonly directory: readonly string[]; readonly personal: readonly (string | null)[] },
): { sql: string; params: unknown[] } {
  const c = adoptColumns(entity);
  const t = adoptTables(entity, region);
  const { where: dw, params } = rangeWhere(entity, 'm', range);
  const lw = rangeWhere(entity, 'd', range).where;
  const n = params.length + 1;
  const k = ident(entity.key.name);
  const bucket = (alias: string) => `width_bucket(${keyOrder(entity, `${alias}.${k}`)}, $${n}::${entity.key.type}[])`;
  const part = (name: string, table: string, alias: string, columns: readonly string[], where: string) =>
    `${name} AS (SELECT ${bucket(alias)} AS b, ${alias}.${k}::text AS key, ${rowHash(columns, alias)} AS h FROM ONLY ${table} ${alias} WHERE ${where}),
  ${name}b AS (SELECT b, ${setHashSql('h')} AS s FROM ${name} GROUP BY b)`;
  // a bucket differs when either part of it does: its keys of both parts are sent (a bucket here that the
  // source does not have differs too: its source hash is NULL)
  return {
    sql: `WITH ${part('dd', t.directory, 'm', c.directory, dw)},
  ${part('ll', t.leaf, 'd', c.leaf, lw)},
  bad AS (SELECT b FROM (SELECT b FROM ddb UNION SELECT b FROM llb) h LEFT JOIN ddb USING (b) LEFT JOIN llb USING (b)
    WHERE ddb.s IS DISTINCT FROM ($${n + 1}::text[])[b + 1] OR llb.s IS DISTINCT FROM ($${n + 2}::text[])[b + 1])
SELECT 'D' AS t, b, NULL::text AS key, s AS h FROM ddb
UNION ALL SELECT 'L', b, NULL, s FROM llb
UNION ALL SELECT 'd', b, key, h FROM dd WHERE b IN (SELECT b FROM bad)
UNION ALL SELECT 'l', b, key, h FROM ll WHERE b IN (SELECT b FROM bad)`,
    params: [...params, buckets.thresholds, buckets.directory, buckets.personal],
  };
}

/** The row hashes here of the given keys: directory rows of $1 (key[]), this region's personal rows of $2; `t` as rangeKeysSql. */
export function keysHashSql(entity: Entity, region: string): string {
  const c = adoptColumns(entity);
  const t = adoptTables(entity, region);
  const k = ident(entity.key.name);
  const type = entity.key.type;
  // joined with unnest, not `= ANY ($1)`: a table loaded in this transaction has no statistics, and a
  // sequential scan would search the whole array for every row
  return `SELECT 'd' AS t, m.${k}::text AS key, ${rowHash(c.directory, 'm')} AS h FROM unnest($1::${type}[]) q(k) JOIN ONLY ${t.directory} m ON m.${k} = q.k
UNION ALL SELECT 'l', d.${k}::text, ${rowHash(c.leaf, 'd')} FROM unnest($2::${type}[]) q(k) JOIN ONLY ${t.leaf} d ON d.${k} = q.k`;
}

/** A per-session staging table shaped like `table` (its columns and NOT NULLs), emptied at each commit. */
export function stagingName(entity: Entity, part: 'directory' | 'leaf'): string {
  const tag = createHash('md5').update(`${entity.schema}.${entity.name}`).digest('hex').slice(0, 12);
  return qualified('pg_temp', `adopt_${part === 'directory' ? 'd' : 'l'}_${tag}`);
}

export function stagingSql(entity: Entity, region: string, part: 'directory' | 'leaf'): string {
  return `CREATE TEMP TABLE IF NOT EXISTS ${stagingName(entity, part).replace(/^"pg_temp"\./, '')} (LIKE ${adoptTables(entity, region)[part]}) ON COMMIT DELETE ROWS`;
}

/** COPY into a table (or its staging table), the given columns in their order. */
export const copyInSql = (table: string, columns: readonly string[]) => `COPY ${table} (${columns.map(ident).join(', ')}) FROM STDIN`;

/** The staged rows into the table: new keys inserted, existing ones overwritten. */
export function upsertSql(entity: Entity, region: string, part: 'directory' | 'leaf'): string {
  const c = adoptColumns(entity)[part];
  const list = c.map(ident).join(', ');
  const set = c
    .filter((name) => name !== entity.key.name)
    .map((name) => `${ident(name)} = EXCLUDED.${ident(name)}`)
    .join(', ');
  return `INSERT INTO ${adoptTables(entity, region)[part]} AS t (${list}) SELECT ${list} FROM ${stagingName(entity, part)}
  ON CONFLICT (${ident(entity.key.name)}) DO UPDATE SET ${set}`;
}

/** Deletes the given keys ($1, key[]) from the directory or this region's leaf. */
export function deleteKeysSql(entity: Entity, region: string, part: 'directory' | 'leaf'): string {
  return `DELETE FROM ONLY ${adoptTables(entity, region)[part]} t USING unnest($1::${entity.key.type}[]) q(k) WHERE t.${ident(entity.key.name)} = q.k`;
}

/** Where adopt keeps its checkpoints: one row per range it wrote in the region, keys and hashes only. */
export const CHECKPOINT_TABLE = qualified(ADOPT_SCHEMA, 'ranges');

/** Creates the checkpoint schema and table when missing (the first adopt in a region). */
export const checkpointDdl = `CREATE SCHEMA IF NOT EXISTS ${ident(ADOPT_SCHEMA)};
CREATE TABLE IF NOT EXISTS ${CHECKPOINT_TABLE} (
  entity text NOT NULL,
  -- position of the range in the source's key order, and its bounds (lo exclusive, hi inclusive; NULL: open)
  ordinal integer NOT NULL,
  lo text,
  hi text,
  -- md5 of the source query: which source the range came from
  source text NOT NULL,
  directory_rows integer NOT NULL,
  personal_rows integer NOT NULL,
  directory_hash text,
  personal_hash text,
  adopted_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (entity, ordinal)
)`;

/** Where adopt keeps the --changed-since marks: the largest value of the column the last complete run saw. */
export const MARK_TABLE = qualified(ADOPT_SCHEMA, 'marks');

/** Creates the mark table when missing (an adopt with --changed-since). */
export const markDdl = `CREATE TABLE IF NOT EXISTS ${MARK_TABLE} (
  entity text NOT NULL,
  -- md5 of the source query and the column
  source text NOT NULL,
  mark text NOT NULL,
  marked_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (entity, source)
)`;

/** The mark of ($1 entity, $2 source), or no row. */
export const markSql = `SELECT mark FROM ${MARK_TABLE} WHERE entity = $1 AND source = $2`;

/** Records the mark ($3) of ($1 entity, $2 source). */
export const setMarkSql = `INSERT INTO ${MARK_TABLE} (entity, source, mark) VALUES ($1, $2, $3)
  ON CONFLICT (entity, source) DO UPDATE SET mark = EXCLUDED.mark, marked_at = now()`;

/** Records a range as written and verified here ($1 entity ... $9 personal hash). */
export const checkpointSql = `INSERT INTO ${CHECKPOINT_TABLE} AS c (entity, ordinal, lo, hi, source, directory_rows, personal_rows, directory_hash, personal_hash)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
  ON CONFLICT (entity, ordinal) DO UPDATE SET lo = EXCLUDED.lo, hi = EXCLUDED.hi, source = EXCLUDED.source,
    directory_rows = EXCLUDED.directory_rows, personal_rows = EXCLUDED.personal_rows,
    directory_hash = EXCLUDED.directory_hash, personal_hash = EXCLUDED.personal_hash, adopted_at = now()`;
