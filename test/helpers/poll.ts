import { setTimeout as sleep } from 'node:timers/promises';
import type { ScratchFleet } from './scratchFleet.js';

/**
 * Polls `probe` until it returns something other than undefined or false, and
 * returns that; fails naming `what` after `timeoutMs`. For ordering concurrent
 * sessions by the state they reached, never by a fixed sleep.
 */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await sleep(20);
  }
}

/**
 * Waits until a write called in `coordinator` with `SET residency.test_pause`
 * is in its pause: every other region holds a prepared part (both pause
 * points come after PREPARE), and at 'before_commit_prepared' the
 * coordinator's commit record is committed. Works on every major (pg_sleep has
 * no wait event before PostgreSQL 12).
 */
export async function untilPaused(
  fleet: Pick<ScratchFleet, 'config' | 'query'>,
  coordinator: string,
  point: 'before_decision' | 'before_commit_prepared',
): Promise<void> {
  const others = fleet.config.regions.map((r) => r.name).filter((r) => r !== coordinator);
  await until(`the write called in ${coordinator} to pause at ${point}`, async () => {
    for (const region of others) {
      const [row] = await fleet.query<{ n: number }>(region, 'SELECT count(*)::int AS n FROM pg_prepared_xacts');
      if ((row?.n ?? 0) === 0) return false;
    }
    if (point === 'before_decision') return true;
    const [record] = await fleet.query<{ n: number }>(coordinator, 'SELECT count(*)::int AS n FROM residency.commit_records');
    return (record?.n ?? 0) > 0;
  });
}

/**
 * Runs `pg_reload_conf()` in a region and waits until a new session sees the
 * reloaded configuration (its `pg_conf_load_time()` moved on).
 */
export async function reloadConf(fleet: Pick<ScratchFleet, 'query'>, region: string): Promise<void> {
  const [before] = await fleet.query<{ t: string }>(region, 'SELECT pg_conf_load_time()::text AS t');
  await fleet.query(region, 'SELECT pg_reload_conf()');
  await until(`region ${region} to reload its configuration`, async () => {
    const [now] = await fleet.query<{ t: string }>(region, 'SELECT pg_conf_load_time() > $1::timestamptz AS t', [before!.t]);
    return (now?.t as unknown) === true;
  });
}
