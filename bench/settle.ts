import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Before a suite whose writes wait for fsync (the load suite's two-phase
 * writes flush WAL seven times each, the fdw transaction's three): the page
 * cache written back (`sync`), so the read suites' 100,000-person loads do
 * not write back under it, then the 1-minute load average under `below`,
 * polled each second for at most `maxSeconds`. Says what it waited through
 * `progress`, as `<suite>: sync took ...`.
 */
export async function settle(suite: string, progress: (text: string) => void, below = 1.5, maxSeconds = 90): Promise<void> {
  const t0 = Date.now();
  execFileSync('sync');
  const syncMs = Date.now() - t0;
  let waited = 0;
  while (loadavg()[0]! >= below && waited < maxSeconds) {
    await sleep(1000);
    waited += 1;
  }
  progress(`${suite}: sync took ${syncMs} ms, then ${waited} s until the 1-minute load average was ${loadavg()[0]!.toFixed(2)}`);
}
