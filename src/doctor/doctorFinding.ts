/**
 * One thing doctor found in a region that blocks pg-residency (`error`) or
 * weakens it (`warning`). The `--json` shape: stable ids (docs/reference/doctor.md).
 * `fix` is the exact SQL or setting that removes the finding; `detail` and
 * `fix` never hold a password.
 */
export interface DoctorFinding {
  /** A stable kebab-case id, e.g. `max-prepared-transactions`. */
  readonly id: string;
  /** `error` makes doctor exit 1; `warning` is reported only. */
  readonly level: 'error' | 'warning';
  readonly title: string;
  readonly detail: string;
  readonly fix: string;
}

/** A finding; `fix` given as several statements is one per line. */
export function doctorFinding(
  id: string,
  level: DoctorFinding['level'],
  title: string,
  detail: string,
  fix: string | readonly string[],
): DoctorFinding {
  return { id, level, title, detail, fix: typeof fix === 'string' ? fix : fix.join('\n') };
}
