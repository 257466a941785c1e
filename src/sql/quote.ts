/**
 * The one place where names and values become SQL text. Every template helper
 * and every internal query goes through these functions.
 */

/** PostgreSQL truncates identifiers to NAMEDATALEN - 1 bytes. */
export const MAX_IDENTIFIER_BYTES = 63;

/** Why a name cannot be an identifier, or undefined when it can. */
export function identifierProblem(name: string): string | undefined {
  if (name.length === 0) return 'must not be empty';
  if (name.includes('\0')) return 'must not contain a NUL byte';
  // A newline in a name would end a `--` comment in a generated file.
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  if (/[\x01-\x1f\x7f]/.test(name)) return 'must not contain control characters (newline, tab, ...)';
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > MAX_IDENTIFIER_BYTES) {
    return `is ${bytes} bytes long; PostgreSQL identifiers are at most ${MAX_IDENTIFIER_BYTES} bytes`;
  }
  return undefined;
}

function assertIdentifier(name: string): void {
  const problem = identifierProblem(name);
  if (problem !== undefined) throw new TypeError(`identifier ${JSON.stringify(name)} ${problem}`);
}

/**
 * Quotes one identifier, always: `ident('we"ird')` is `"we""ird"`.
 * @example ident('Upper Case') // '"Upper Case"'
 */
export function ident(name: string): string {
  let quoted = quotedNames.get(name);
  if (quoted === undefined) {
    assertIdentifier(name);
    quoted = `"${name.replaceAll('"', '""')}"`;
    // Generation quotes the same few names tens of thousands of times.
    if (quotedNames.size < 10_000) quotedNames.set(name, quoted);
  }
  return quoted;
}

const quotedNames = new Map<string, string>();

/**
 * Quotes a schema-qualified name given as parts; a part is never split on `.`.
 * @example qualified('a.b', 'c') // '"a.b"."c"'
 */
export function qualified(...parts: readonly string[]): string {
  if (parts.length === 0) throw new TypeError('qualified() needs at least one part');
  return parts.map(ident).join('.');
}

/**
 * Quotes a string literal. With standard_conforming_strings on (the default
 * since 9.1) only the quote needs doubling; a backslash is then literal.
 * @example literal("it's") // "'it''s'"
 */
export function literal(value: string | number | boolean): string {
  if (typeof value === 'number' || typeof value === 'boolean') return `'${String(value)}'`;
  if (value.includes('\0')) throw new TypeError('a SQL literal cannot contain a NUL byte');
  return `'${value.replaceAll("'", "''")}'`;
}
