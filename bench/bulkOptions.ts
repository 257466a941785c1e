/**
 * The bulk suite's size from the environment: BULK_BENCH_ROWS keys (default
 * 100,000) in calls of BULK_BENCH_BATCH rows (default all of them in one call),
 * inserted then updated in each of BULK_BENCH_ROUNDS rounds (default 3: the
 * medians of three rounds; one pass of a loaded machine moved the ratio by 0.3).
 */
export function bulkOptions(env: Readonly<Record<string, string | undefined>>): { rows: number; batch: number; rounds: number } {
  const rows = Number(env.BULK_BENCH_ROWS ?? 100_000);
  const batch = Number(env.BULK_BENCH_BATCH ?? rows);
  const rounds = Number(env.BULK_BENCH_ROUNDS ?? 3);
  if (!Number.isInteger(rows) || rows < 3 || !Number.isInteger(batch) || batch < 1 || !Number.isInteger(rounds) || rounds < 1)
    throw new Error(
      `BULK_BENCH_ROWS (${env.BULK_BENCH_ROWS}) must be an integer of at least 3, BULK_BENCH_BATCH (${env.BULK_BENCH_BATCH}) and BULK_BENCH_ROUNDS (${env.BULK_BENCH_ROUNDS}) positive integers`,
    );
  return { rows, batch, rounds };
}
