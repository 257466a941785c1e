/**
 * A duration as regions.yaml and PostgreSQL write it (`<n>`, `<n>ms`, `<n>s`,
 * `<n>min`, `<n>h`; no unit is milliseconds) in milliseconds; NaN for
 * anything else (parseConfig refuses it first).
 * @example durationMs('2500ms') // 2500
 * @example durationMs('5s') // 5000
 */
export function durationMs(duration: string): number {
  const match = /^(\d+)(ms|s|min|h)?$/.exec(duration);
  if (match === null) return Number.NaN;
  const unit: Record<string, number> = { ms: 1, s: 1000, min: 60_000, h: 3_600_000 };
  return Number(match[1]) * unit[match[2] ?? 'ms']!;
}
