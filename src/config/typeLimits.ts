/**
 * The limits PostgreSQL puts on a type's modifiers, so that regions.yaml is
 * refused at validation rather than at `migrate` (42601, 22023): lengths,
 * precisions and scales in range, two modifiers only for numeric, and none
 * for a built-in type that takes none. Types this list does not know (an
 * extension's, such as `vector(3)`) are left to the server.
 */

/** Largest varchar/char length: PostgreSQL's MaxAttrSize (10 MB). */
export const MAX_CHAR_LENGTH = 10_485_760;
/** Largest bit/varbit length: PostgreSQL's MaxAttrSize * 8. */
export const MAX_BIT_LENGTH = 83_886_080;
/** Largest numeric precision: NUMERIC_MAX_PRECISION. */
export const MAX_NUMERIC_PRECISION = 1000;

interface Limit {
  /** How many modifiers it takes at most. */
  readonly count: 1 | 2;
  readonly min: number;
  readonly max: number;
  readonly what: string;
}

const LENGTH: Limit = { count: 1, min: 1, max: MAX_CHAR_LENGTH, what: 'length' };
const BITS: Limit = { count: 1, min: 1, max: MAX_BIT_LENGTH, what: 'length' };
const NUMERIC: Limit = { count: 2, min: 1, max: MAX_NUMERIC_PRECISION, what: 'precision' };
const SECONDS: Limit = { count: 1, min: 0, max: 6, what: 'fractional-second precision' };

const LIMITS: ReadonlyMap<string, Limit> = new Map([
  ['varchar', LENGTH],
  ['character varying', LENGTH],
  ['char', LENGTH],
  ['character', LENGTH],
  ['bpchar', LENGTH],
  ['bit', BITS],
  ['bit varying', BITS],
  ['varbit', BITS],
  ['numeric', NUMERIC],
  ['decimal', NUMERIC],
  ['timestamp', SECONDS],
  ['timestamptz', SECONDS],
  ['time', SECONDS],
  ['timetz', SECONDS],
  ['interval', SECONDS],
  ['timestamp with time zone', SECONDS],
  ['timestamp without time zone', SECONDS],
  ['time with time zone', SECONDS],
  ['time without time zone', SECONDS],
  ['float', { count: 1, min: 1, max: 53, what: 'precision (in bits)' }],
]);

/** Built-in types that take no modifier at all. */
const NO_MODIFIER = new Set([
  'text',
  'uuid',
  'smallint',
  'int2',
  'integer',
  'int',
  'int4',
  'bigint',
  'int8',
  'real',
  'float4',
  'double precision',
  'float8',
  'boolean',
  'bool',
  'date',
  'json',
  'jsonb',
  'bytea',
  'inet',
  'cidr',
  'macaddr',
  'money',
  'oid',
  'xml',
  'tsvector',
  'citext',
]);

/**
 * Why PostgreSQL would refuse these modifiers of a type, or undefined.
 * @param base the type's base name, lower case (parseType)
 * @param modifiers the numbers in its parentheses, if any
 * @example typeLimitProblem('varchar', [99999999]) // 'has length 99999999; varchar allows 1 to 10485760'
 */
export function typeLimitProblem(base: string, modifiers: readonly number[]): string | undefined {
  if (modifiers.length === 0) return undefined;
  if (NO_MODIFIER.has(base)) return `gives ${base} a modifier, which it does not take; write ${base}`;
  const limit = LIMITS.get(base);
  if (limit === undefined) return undefined;
  if (modifiers.length > limit.count) return `gives ${base} ${modifiers.length} modifiers; it takes one (its ${limit.what})`;
  const [first, second] = modifiers as [number, number | undefined];
  if (first < limit.min || first > limit.max) return `has ${limit.what} ${first}; ${base} allows ${limit.min} to ${limit.max}`;
  if (second !== undefined && second > first) return `has scale ${second} above its precision ${first}; ${base}(p,s) needs 0 <= s <= p`;
  return undefined;
}
