/**
 * The bulk suite's size from the environment: BULK_BENCH_ROWS keys (default
 * 100,000) in calls of BULK_BENCH_BATCH rows (default all of them in one call).
 */
export function bulkOptions(env: Readonly<Record<string, string | undefined>>): { rows: number; batch: number } {
  const rows = Number(env.BULK_BENCH_ROWS ?? 100_000);
  const batch = Number(env.BULK_BENCH_BATCH ?? rows);
  if (!Number.isInteger(rows) || rows < 3 || !Number.isInteger(batch) || batch < 1)
    throw new Error(
      `BULK_BENCH_ROWS (${env.BULK_BENCH_ROWS}) must be an integer of at least 3 and BULK_BENCH_BATCH (${env.BULK_BENCH_BATCH}) a positive integer`,
    );
  return { rows, batch };
}
