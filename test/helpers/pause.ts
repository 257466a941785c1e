import { setTimeout as sleep } from 'node:timers/promises';
import type { ScratchFleet } from './scratchFleet.js';

/**
 * Waits until a write coordinated by `region` stops at the test pause `point`
 * (README, "Writes"), by the state it leaves, not by time: every other region
 * holds a part prepared under a gid of `region`'s, for 'before_commit_prepared'
 * `region` holds its commit record, and the writing backend sleeps. (A write
 * also sleeps briefly while it polls for a region's answer, so the sleep alone
 * does not tell the pause.) Returns the write's gid. For 'before_claim' (the
 * write took its age and has sent nothing yet): a backend that has slept for
 * over 100 ms since its statement started while no region holds a part of
 * `region`'s; returns ''.
 */
export async function waitForPause(
  fleet: ScratchFleet,
  region: string,
  point: 'before_claim' | 'before_decision' | 'before_commit_prepared' = 'before_decision',
  timeoutMs = 10_000,
): Promise<string> {
  const others = fleet.config.regions.map((r) => r.name).filter((r) => r !== region);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const [sleeping] = await fleet.query(
      region,
      "SELECT 1 FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND query ~ '(upsert|rehome|erase|sync)_' AND pid <> pg_backend_pid()",
    );
    if (sleeping !== undefined && point === 'before_claim') {
      const [paused] = await fleet.query(
        region,
        "SELECT 1 FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND query ~ '(upsert|rehome|erase|sync)_' AND clock_timestamp() - query_start > interval '100 ms' AND pid <> pg_backend_pid()",
      );
      if (paused !== undefined) return '';
    } else if (sleeping !== undefined) {
      const held = await Promise.all(
        others.map((r) =>
          fleet.query<{ gid: string }>(r, 'SELECT gid FROM pg_prepared_xacts WHERE gid LIKE $1', [`pg-residency:${region}:%`]),
        ),
      );
      const gids = held.map((rows) => new Set(rows.map((x) => x.gid)));
      const common = [...(gids[0] ?? [])].filter((g) => gids.every((s) => s.has(g)));
      for (const gid of common) {
        if (point === 'before_decision') return gid;
        const [record] = await fleet.query(region, 'SELECT 1 FROM residency.commit_records WHERE gid = $1', [gid]);
        if (record !== undefined) return gid;
      }
    }
    await sleep(20);
  }
  throw new Error(`no write of "${region}" reached the test pause ${point} within ${timeoutMs} ms`);
}
