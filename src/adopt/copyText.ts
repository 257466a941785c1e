/**
 * COPY's text format, as adopt reads it from the source and writes it to the
 * regions: one row per line, fields separated by tabs, `\N` for NULL, and
 * backslash, tab, newline and the other control characters escaped. A field
 * is passed on as it came (no decoding, no re-encoding); only keys and
 * region names are decoded, to compare them.
 */

/** Splits one line of COPY text into its fields, still escaped. */
export function copyFields(line: string): string[] {
  return line.split('\t');
}

const ESCAPES: Readonly<Record<string, string>> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' };

/**
 * The value of one COPY text field: null for `\N`, else the text with its
 * escapes undone (the forms COPY TO writes, and octal and hex ones).
 * @example copyValue('a\\tb') // 'a\tb'
 */
export function copyValue(field: string): string | null {
  if (field === '\\N') return null;
  if (!field.includes('\\')) return field;
  return field.replace(/\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)/gsu, (_, e: string) => {
    if (e.startsWith('x') && e.length > 1) return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]+$/.test(e)) return String.fromCharCode(parseInt(e, 8));
    return ESCAPES[e] ?? e;
  });
}
