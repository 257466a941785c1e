// Where a bulk write's time goes (issue 20, updates against inserts): on the
// bulk suite's fleet, `rounds` rounds of `rows` new keys on emptied tables,
// inserted then updated in one upsert_identity_many call each, with the CPU
// of each server's backends by role (the caller, the link sessions, the
// background processes) and each function's self and total time
// (track_functions) per pass. `between`: none, or vacuum (VACUUM ANALYZE and
// CHECKPOINT in every region before each pass, as the bulk suite does). With
// variant files (function definitions, CREATE OR REPLACE, as firstWrite.ts
// dumps them), usa's functions are replaced by each variant in turn, each
// round: an A/B of the coordinator's code in one fleet.
//   npm run build && node --import tsx bench/bulkProbe.ts [rows] [rounds] [between] [variant.sql ...]
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { cpuMs } from './processCpu.js';
import { startProxiedFleet } from './proxiedFleet.js';
import { MIXED_FLEET } from '../test/helpers/scratchFleet.js';
import { ident } from '../src/sql/quote.js';

const rows = Number(process.argv[2] ?? 30_000);
const rounds = Number(process.argv[3] ?? 2);
const between = process.argv[4] ?? 'vacuum';
const variants = process.argv.slice(5);

/** Milliseconds of CPU of a process (processCpu's cpuMs); 0 once it is gone. */
const cpu = (pid: number) => {
  try {
    return cpuMs(pid);
  } catch {
    return 0;
  }
};

const fleet = await startProxiedFleet({ regions: MIXED_FLEET, delayMs: 5, extra: 'timeouts: { lock_timeout: 30s }' });
try {
  const regions = MIXED_FLEET.map((r) => r.name);
  const admins = await Promise.all(regions.map((r) => fleet.client(r)));
  for (const a of admins) {
    await a.query("ALTER SYSTEM SET track_functions = 'all'");
    await a.query('SELECT pg_reload_conf()');
  }
  const client = await fleet.client('usa');
  await client.query("SET statement_timeout = '600s'");
  const callerPid = (await client.query<{ p: number }>('SELECT pg_backend_pid() AS p')).rows[0]!.p;
  /** CPU ms of every backend of every region, summed by region and role. */
  const snapshot = async () => {
    const out = new Map<string, number>();
    for (const [i, a] of admins.entries()) {
      const { rows: ps } = await a.query<{ pid: number; who: string }>(
        "SELECT pid, COALESCE(NULLIF(backend_type, 'client backend'), usename) AS who FROM pg_stat_activity WHERE pid <> pg_backend_pid()",
      );
      for (const p of ps) {
        const k = `${regions[i]}:${p.pid === callerPid ? 'caller' : p.who}`;
        out.set(k, (out.get(k) ?? 0) + cpu(p.pid));
      }
    }
    return out;
  };
  for (let r = 0; r < rounds; r += 1) {
    for (const v of variants.length > 0 ? variants : ['current']) {
      if (v !== 'current') await admins[0]!.query(readFileSync(v, 'utf8'));
      process.stdout.write(`${v}\n`);
      for (const [i, a] of admins.entries()) await a.query(`TRUNCATE shared.identity, ${ident(regions[i]!)}.identity_details`);
      const keys = Array.from({ length: rows }, () => randomUUID());
      for (const note of ['first', 'second']) {
        if (between === 'vacuum') {
          for (const a of admins) {
            await a.query('VACUUM ANALYZE');
            await a.query('CHECKPOINT');
          }
        }
        for (const a of admins) await a.query('SELECT pg_stat_reset()');
        const before = await snapshot();
        const t = performance.now();
        const chunk = keys.map((uuid, j) => ({ uuid, region: regions[j % 3], name: `Person ${j}`, note }));
        await client.query('SELECT count(*) FROM shared.upsert_identity_many($1)', [JSON.stringify(chunk)]);
        const ms = performance.now() - t;
        const after = await snapshot();
        // (a backend reports its function counts when idle, at most every 500 ms)
        await new Promise((res) => setTimeout(res, 1200));
        for (const [i, a] of admins.entries()) {
          const { rows: fs } = await a.query<{ f: string; s: number; t: number }>(
            'SELECT funcname AS f, round(self_time)::int AS s, round(total_time)::int AS t FROM pg_stat_user_functions WHERE self_time > 20 ORDER BY self_time DESC',
          );
          process.stdout.write(`  ${regions[i]}: ${fs.map((x) => `${x.f} ${x.s}/${x.t} ms`).join(', ')}\n`);
        }
        const parts = [...after].map(([k, v]) => [k, v - (before.get(k) ?? 0)] as const).filter(([, v]) => v > 0);
        process.stdout.write(
          `round ${r} ${note === 'first' ? 'insert' : 'update'}: ${ms.toFixed(0)} ms; CPU ms ${parts.map(([k, v]) => `${k} ${v}`).join(', ')}\n`,
        );
      }
    }
  }
} finally {
  await fleet.stop();
}
