import { derivedNames } from '../config/derivedNames.js';
import type { Entity } from '../config/types.js';
import { ident, literal, qualified } from '../sql/quote.js';

/**
 * The set-based row queries verify and repair run in each region. Every one
 * returns keys, owner region names, counts and md5 hashes only: a personal
 * column is never selected, and directory values travel as hashes.
 */

/** Buckets of the key space: the first byte of md5(key), so every region buckets a key alike. */
const bucketOf = (expr: string) => `get_byte(decode(md5(${expr}::text), 'hex'), 0)`;

/** At most this many keys per check and region are listed; the count is always exact. */
export const KEY_LIMIT = 1000;

export function directoryHash(entity: Entity, alias: string): string {
  const columns = [entity.key.name, entity.regionColumn, ...entity.mirrored.map((c) => c.name)];
  return `md5(row(${columns.map((c) => `${alias}.${ident(c)}`).join(', ')})::text)`;
}

const directory = (e: Entity) => qualified(e.schema, e.name);
const leaf = (e: Entity, region: string) => qualified(region, derivedNames(e.name).details);
const outbox = (e: Entity) => qualified(e.schema, derivedNames(e.name).outbox);

/**
 * One round trip per entity and region: the directory's bucket aggregates
 * (count and md5 of the row hashes in key order, per bucket) and the checks a
 * region can make against its own directory.
 */
export function rowAuditStatements(e: Entity, region: string): string[] {
  const k = ident(e.key.name);
  const r = ident(e.regionColumn);
  const here = literal(region);
  return [
    `SELECT ${bucketOf(`m.${k}`)} AS b, count(*)::int AS n, md5(string_agg(${directoryHash(e, 'm')}, '' ORDER BY m.${k})) AS agg
       FROM ONLY ${directory(e)} m GROUP BY 1`,
    // rows of the local leaf that carry another region's value
    `SELECT d.${k}::text AS key FROM ONLY ${leaf(e, region)} d WHERE d.${r} IS DISTINCT FROM ${here} LIMIT ${KEY_LIMIT}`,
    // personal rows here whose directory row here names another owner, or is missing
    `SELECT d.${k}::text AS key FROM ONLY ${leaf(e, region)} d LEFT JOIN ONLY ${directory(e)} m ON m.${k} = d.${k}
       WHERE m.${r} IS DISTINCT FROM ${here} LIMIT ${KEY_LIMIT}`,
    // directory rows naming this region as owner without a personal row here
    `SELECT m.${k}::text AS key FROM ONLY ${directory(e)} m
       WHERE m.${r} = ${here} AND NOT EXISTS (SELECT FROM ONLY ${leaf(e, region)} d WHERE d.${k} = m.${k}) LIMIT ${KEY_LIMIT}`,
    `SELECT count(*)::int AS n FROM ONLY ${leaf(e, region)}`,
  ];
}

/** (key, hash) of every directory row in the given buckets. */
export function drillDownSql(e: Entity): string {
  const k = ident(e.key.name);
  return `SELECT m.${k}::text AS key, ${directoryHash(e, 'm')} AS hash FROM ONLY ${directory(e)} m
           WHERE ${bucketOf(`m.${k}`)} = ANY ($1::int[])`;
}

/** Per key: the owner and hash of this region's directory row, whether its leaf holds the key, whether its outbox queues it. */
export function keyStateSql(e: Entity, region: string): string {
  const k = ident(e.key.name);
  return `SELECT q.key::text AS key, m.${ident(e.regionColumn)} AS owner, ${directoryHash(e, 'm')} AS hash,
                 EXISTS (SELECT FROM ONLY ${leaf(e, region)} d WHERE d.${k} = q.key) AS leaf,
                 EXISTS (SELECT FROM ONLY ${outbox(e)} o WHERE o.${k} = q.key) AS queued
            FROM unnest($1::text[]::${e.key.type}[]) AS q(key)
            LEFT JOIN ONLY ${directory(e)} m ON m.${k} = q.key`;
}
