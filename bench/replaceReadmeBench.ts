/** The line before README's generated benchmarks section. */
export const BENCH_START = '<!-- bench:start -->';
/** The line after it. */
export const BENCH_END = '<!-- bench:end -->';

/**
 * README with the text between its bench markers replaced by `block` (the
 * markers kept, a blank line inside each, so that the block's tables stand
 * apart from the comments); the rest byte for byte. Replacing twice with the
 * same block changes nothing. Throws when a marker is missing, repeated or
 * the end comes first. Pure.
 * @example replaceReadmeBench('a\n<!-- bench:start -->\nold\n<!-- bench:end -->\n', '| t |\n') // 'a\n<!-- bench:start -->\n\n| t |\n\n<!-- bench:end -->\n'
 */
export function replaceReadmeBench(readme: string, block: string): string {
  const place = 'put them around the benchmarks section, each on its own line';
  for (const marker of [BENCH_START, BENCH_END]) {
    const at = readme.indexOf(marker);
    if (at < 0) throw new Error(`README.md has no "${marker}" marker: ${place}`);
    if (readme.indexOf(marker, at + 1) >= 0) throw new Error(`README.md has "${marker}" twice: keep one`);
  }
  const start = readme.indexOf(BENCH_START);
  const end = readme.indexOf(BENCH_END);
  if (end < start) throw new Error(`README.md has "${BENCH_END}" before "${BENCH_START}": ${place}, the start first`);
  return `${readme.slice(0, start + BENCH_START.length)}\n\n${block.trim()}\n\n${readme.slice(end)}`;
}
