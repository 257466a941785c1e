/**
 * The grammar that column types and defaults from regions.yaml must follow
 * before they are pasted into DDL and function bodies: a type is one name
 * (or one of PostgreSQL's real multi-word type names) with optional modifiers
 * and array brackets; a default is one expression with no second clause.
 */

declare const sqlTypeBrand: unique symbol;
declare const sqlExprBrand: unique symbol;

/** A column type that passed the grammar (parseType); only sqlType() makes one. */
export type SqlType = string & { readonly [sqlTypeBrand]: true };
/** A default expression that passed the grammar (defaultProblem); only sqlExpr() makes one. */
export type SqlExpr = string & { readonly [sqlExprBrand]: true };

// The texts the grammar accepted in this process: `{{type}}` and `{{expr}}`
// print only these, so a value that bypassed the validator (a hand-made
// Column, a state.json edited by hand) is refused at render time.
const acceptedTypes = new Set<string>();
const acceptedExprs = new Set<string>();

/**
 * The type, branded, when the grammar accepts it; undefined otherwise.
 * @example sqlType('numeric(10,2)[]') // 'numeric(10,2)[]' as SqlType
 */
export function sqlType(text: string): SqlType | undefined {
  if (!acceptedTypes.has(text)) {
    if (parseType(text) === undefined) return undefined;
    acceptedTypes.add(text);
  }
  return text as SqlType;
}

/**
 * The default expression, branded, when the grammar accepts it; undefined otherwise.
 * @example sqlExpr('now()') // 'now()' as SqlExpr; sqlExpr('1; DROP TABLE x') // undefined
 */
export function sqlExpr(text: string): SqlExpr | undefined {
  if (!acceptedExprs.has(text)) {
    if (defaultProblem(text) !== undefined) return undefined;
    acceptedExprs.add(text);
  }
  return text as SqlExpr;
}

/** Whether a value is a type that sqlType() accepted (the check of `{{type}}`). */
export function isSqlType(value: unknown): value is SqlType {
  return typeof value === 'string' && acceptedTypes.has(value);
}

/** Whether a value is a default that sqlExpr() accepted (the check of `{{expr}}` and `{{withDefaults}}`). */
export function isSqlExpr(value: unknown): value is SqlExpr {
  return typeof value === 'string' && acceptedExprs.has(value);
}

/** Type names of several words that PostgreSQL really has; any other phrase is refused. */
export const MULTI_WORD_TYPES = [
  'double precision',
  'character varying',
  'bit varying',
  'timestamp with time zone',
  'timestamp without time zone',
  'time with time zone',
  'time without time zone',
] as const;

/**
 * Types a key may have: each has a btree equality operator, so the key can be
 * a primary key and be compared across regions. Modifiers such as
 * `varchar(36)` or `numeric(10,0)` are allowed; arrays are not.
 */
export const KEY_TYPES = [
  'uuid',
  'text',
  'varchar',
  'character varying',
  'char',
  'character',
  'bigint',
  'int8',
  'integer',
  'int',
  'int4',
  'smallint',
  'int2',
  'numeric',
  'decimal',
  'date',
  'timestamptz',
  'timestamp with time zone',
  'timestamp',
  'timestamp without time zone',
] as const;

const WORD = '[A-Za-z_][A-Za-z0-9_]*';
const MODIFIER = '\\(\\s*\\d+\\s*(?:,\\s*\\d+\\s*)?\\)';
const TIME_ZONE = /^(timestamp|time)( ?\(\s*\d+\s*\))? (with|without) time zone$/i;
const BASE = new RegExp(`^(${WORD}|${['double precision', 'character varying', 'bit varying'].join('|')})( ?${MODIFIER})?$`, 'i');

/** A type split into its base name (lower case, modifiers dropped) and whether it is an array. */
export interface ParsedType {
  readonly base: string;
  readonly array: boolean;
  /** The numbers in its parentheses: `numeric(10,2)` has [10, 2]. */
  readonly modifiers: readonly number[];
}

const numbersOf = (modifier: string | undefined): number[] =>
  modifier === undefined ? [] : [...modifier.matchAll(/\d+/g)].map((m) => Number(m[0]));

/** Parses a column type, or returns undefined when it is outside the grammar. */
export function parseType(type: string): ParsedType | undefined {
  const arrays = /(\[\])*$/.exec(type)![0];
  const head = type.slice(0, type.length - arrays.length);
  const zoned = TIME_ZONE.exec(head);
  if (zoned)
    return {
      base: `${zoned[1]!.toLowerCase()} ${zoned[3]!.toLowerCase()} time zone`,
      array: arrays.length > 0,
      modifiers: numbersOf(zoned[2]),
    };
  const match = BASE.exec(head);
  if (!match) return undefined;
  return { base: match[1]!.toLowerCase(), array: arrays.length > 0, modifiers: numbersOf(match[2]) };
}

/** Words that would start a second clause after a default (or a subquery inside one). */
const CLAUSE_WORDS = new Set([
  'select',
  'from',
  'where',
  'union',
  'into',
  'constraint',
  'check',
  'references',
  'primary',
  'unique',
  'collate',
  'generated',
  'default',
  'exclude',
  'using',
  'values',
  'table',
]);

/**
 * Why a default is not one plain SQL expression, or undefined when it is.
 * String literals and quoted identifiers are skipped over; outside them it
 * refuses `;`, comments, `$`, unbalanced brackets, a comma outside brackets
 * (which would add a column) and keywords that start another clause or a
 * subquery.
 */
export function defaultProblem(expression: string): string | undefined {
  let depth = 0;
  let outside = '';
  for (let i = 0; i < expression.length; i += 1) {
    const c = expression[i]!;
    if (c === "'" || c === '"') {
      const end = closingQuote(expression, i);
      if (end === undefined) return `has an unterminated ${c === "'" ? 'string literal' : 'quoted identifier'}`;
      outside += ' ';
      i = end;
      continue;
    }
    if (c === ';' || expression.startsWith('--', i) || expression.startsWith('/*', i))
      return 'must be one SQL expression, without ";" or comments';
    if (c === '$') return 'must not contain "$" outside a string literal (no dollar quotes or parameters)';
    if (c === '(' || c === '[') depth += 1;
    if (c === ')' || c === ']') {
      depth -= 1;
      if (depth < 0) return 'has a closing bracket without its opening one';
    }
    if (c === ',' && depth === 0) return 'must be one SQL expression: a comma outside brackets would start another column';
    outside += c;
  }
  if (depth !== 0) return 'has an opening bracket without its closing one';
  for (const word of outside.toLowerCase().match(/[a-z_][a-z0-9_]*/g) ?? []) {
    if (word === 'select')
      return 'must not contain a subquery (SELECT): a default is evaluated in every region; use a literal or a function call';
    if (CLAUSE_WORDS.has(word)) return `must be one SQL expression, but "${word.toUpperCase()}" would start another clause`;
  }
  return undefined;
}

/** The index of the quote that closes the one at `start` (a doubled quote is an escaped one). */
function closingQuote(text: string, start: number): number | undefined {
  const quote = text[start];
  for (let i = start + 1; i < text.length; i += 1) {
    if (text[i] !== quote) continue;
    if (text[i + 1] === quote) {
      i += 1;
      continue;
    }
    return i;
  }
  return undefined;
}

/** `text`, the type of every region column, branded. */
export const TEXT_TYPE = sqlType('text')!;
