/** Edit distance between two words (insertions, deletions, substitutions; a swap of neighbours counts one). */
function distance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = best;
    }
  }
  return rows[a.length]![b.length]!;
}

/**
 * The candidate closest to `word`, when it is close enough to be what was
 * meant (at most a third of its letters differ, ignoring dashes), or undefined.
 * @example closest('dryrun', ['dry-run', 'json']) // 'dry-run'
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const bare = (s: string) => s.toLowerCase().replace(/[-_]/g, '');
  let best: { candidate: string; d: number } | undefined;
  for (const candidate of candidates) {
    const d = distance(bare(word), bare(candidate));
    if (d <= Math.max(1, Math.floor(bare(candidate).length / 3)) && (best === undefined || d < best.d)) best = { candidate, d };
  }
  return best?.candidate;
}
