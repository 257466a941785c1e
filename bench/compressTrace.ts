const LITERAL = /'(?:[^']|'')*'/g;

/**
 * A readable form of a proxy trace: string literals (keys, names) replaced by
 * `'…'`, long lines cut, whitespace collapsed, and runs of the same line
 * written once with a count. Pure.
 * @example compressTrace(['EXECUTE (prepared)', 'EXECUTE (prepared)', 'COMMIT TRANSACTION'])
 * // ['EXECUTE (prepared) ×2', 'COMMIT TRANSACTION']
 */
export function compressTrace(lines: readonly string[], width = 100): string[] {
  const out: { line: string; count: number }[] = [];
  for (const raw of lines) {
    const masked = raw.replace(LITERAL, "'…'").replace(/\s+/g, ' ').trim();
    const line = masked.length > width ? `${masked.slice(0, width - 1)}…` : masked;
    const last = out.at(-1);
    if (last?.line === line) last.count += 1;
    else out.push({ line, count: 1 });
  }
  return out.map(({ line, count }) => (count > 1 ? `${line} ×${count}` : line));
}
