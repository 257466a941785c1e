import test from 'ava';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { resolveFleet } from '../../src/migrate/resolveFleet.js';
import { syncFleet } from '../../src/migrate/syncFleet.js';
import { verifyFleet } from '../../src/verify/verifyFleet.js';
import { recordCase } from '../helpers/catalogue.js';
import { MIXED, startFleet, type Fleet } from '../helpers/fleet.js';

// Issue 19's bounded randomized test: 3 regions (10, 11, 18), one key space
// of 50 keys, upsert, upsert_many, rehome and erase from every region at once,
// with random cancels and statement timeouts; then resolve and sync. Every
// acknowledged write holds unless a later one replaced it (a per-key check
// over the client's history), nothing is prepared, verify is clean.
// PG_RESIDENCY_RANDOM_SECONDS sets how long the writers run: 60 s by default,
// as the issue's acceptance asks (npm test runs it so).
const SECONDS = Number(process.env.PG_RESIDENCY_RANDOM_SECONDS ?? 60);
const KEYS = Array.from({ length: 50 }, () => randomUUID());
const REGIONS = MIXED.map((r) => r.name);
const SESSIONS_PER_REGION = 2;

let fleet: Fleet;
test.before(async () => {
  fleet = await startFleet({ regions: MIXED, extra: 'timeouts: { lock_timeout: 2s, statement_timeout: 20s }', unsafeFast: true });
});
test.after.always(async () => {
  await fleet?.stop();
});

type Kind = 'upsert' | 'many' | 'rehome' | 'erase';
interface Call {
  readonly kind: Kind;
  readonly keys: readonly string[];
  /** The version an upsert writes (name and note), unique per call. */
  readonly version?: string;
  readonly start: number;
  end: number;
  /** ok: acknowledged; failed: an error that promises nothing was written; unknown: anything else. */
  outcome: 'ok' | 'failed' | 'unknown';
  code?: string;
}

/** SQLSTATEs after which the README promises nothing was written. */
const NOTHING_WRITTEN = /^(RS0(0[1-9]|1[0-2])|40001|40P01|55P03|57014|25006)$/;

const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;

async function worker(region: string, id: string, until: number, history: Call[], owners: Map<string, string>): Promise<void> {
  const client = await fleet.client(region);
  const [{ pid }] = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows as [{ pid: number }];
  let seq = 0;
  while (performance.now() < until) {
    const kind = pick<Kind>(['upsert', 'upsert', 'many', 'rehome', 'erase']);
    const key = pick(KEYS);
    const keys = kind === 'many' ? [...new Set([key, pick(KEYS), pick(KEYS)])] : [key];
    const version = `${id}-${++seq}`;
    const timeout = pick([0, 0, 0, 50, 200, 1000]);
    await client.query(`SET statement_timeout = ${timeout}`);
    const call: Call = {
      kind,
      keys,
      ...(kind === 'upsert' || kind === 'many' ? { version } : {}),
      start: performance.now(),
      end: 0,
      outcome: 'unknown',
    };
    let done = false;
    const cancel =
      Math.random() < 0.15
        ? sleep(Math.random() * 300).then(async () => {
            if (!done) await fleet.query(region, 'SELECT pg_cancel_backend($1)', [pid]);
          })
        : Promise.resolve();
    try {
      const owner = (k: string) => owners.get(k) ?? pick(REGIONS);
      if (kind === 'upsert') {
        await client.query('SELECT shared.upsert_identity($1, $2, $3, $2)', [key, version, owner(key)]);
      } else if (kind === 'many') {
        await client.query('SELECT * FROM shared.upsert_identity_many($1::jsonb)', [
          JSON.stringify(keys.map((k) => ({ uuid: k, name: version, region: owner(k), note: version }))),
        ]);
      } else if (kind === 'rehome') {
        await client.query('SELECT shared.rehome_identity($1, $2)', [key, pick(REGIONS)]);
      } else {
        await client.query('SELECT shared.erase_identity($1)', [key]);
      }
      call.outcome = 'ok';
    } catch (error) {
      const code = (error as { code?: string }).code;
      call.code = code ?? String(error);
      call.outcome = code !== undefined && NOTHING_WRITTEN.test(code) ? 'failed' : 'unknown';
    }
    done = true;
    call.end = performance.now();
    history.push(call);
    await cancel;
    // what this client believes the owners are (a wrong guess is an RS003, a failed call)
    if (call.outcome === 'ok') {
      const [row] = await fleet.query<{ region: string }>(region, 'SELECT region FROM shared.identity WHERE uuid = $1', [key]);
      if (row !== undefined) owners.set(key, row.region);
    }
  }
  await client.end();
}

/** Per key: the final state must come from a write that no acknowledged write of the key follows in real time. */
function violations(key: string, history: readonly Call[], final: { note: string; name: string | null } | undefined): string[] {
  const calls = history.filter((c) => c.keys.includes(key));
  const acked = calls.filter((c) => c.outcome === 'ok');
  const out: string[] = [];
  const show = (c: Call) =>
    `${c.kind}${c.version === undefined ? '' : ` ${c.version}`} [${Math.round(c.start)}, ${Math.round(c.end)}] ${c.outcome}`;
  if (final !== undefined) {
    const writer = calls.find((c) => c.version === final.note);
    if (writer === undefined) return [`${key}: holds "${final.note}", which no call wrote`];
    if (writer.outcome === 'failed') out.push(`${key}: holds "${final.note}" of a call that failed (${writer.code})`);
    if (final.name !== final.note) out.push(`${key}: directory "${final.note}" but personal row "${final.name}"`);
    for (const later of acked.filter((c) => c !== writer && c.kind !== 'rehome' && c.start > writer.end)) {
      out.push(`${key}: holds ${show(writer)}, but ${show(later)} was acknowledged after it`);
    }
  } else {
    // a rehome writes no value, and one that finds the key where it is (or not
    // yet erased in a region whose erase was queued) returns at once without
    // writing: as in the branch above, it is no evidence that the key exists
    const writes = (c: Call) => c.kind !== 'erase' && c.kind !== 'rehome';
    const upserts = acked.filter(writes);
    if (upserts.length === 0) return out;
    const erases = calls.filter((c) => c.kind === 'erase' && c.outcome !== 'failed');
    const explains = erases.some((e) => !acked.some((c) => writes(c) && c.start > e.end));
    if (!explains) out.push(`${key}: gone, but no erase explains it: ${calls.map(show).join('; ')}`);
  }
  return out;
}

test.serial(
  `issue 19: ${SECONDS} s of random writes of 50 keys from every region, with cancels and timeouts, lose no acknowledged write`,
  async (t) => {
    t.timeout((SECONDS + 240) * 1000);
    const history: Call[] = [];
    const owners = new Map<string, string>();
    const until = performance.now() + SECONDS * 1000;
    await Promise.all(
      REGIONS.flatMap((r) => Array.from({ length: SESSIONS_PER_REGION }, (_, i) => worker(r, `${r}${i}`, until, history, owners))),
    );

    // settle as the outage procedure does (resolve, sync), until nothing is left:
    // a part whose coordinator gave up on it (a cancel, a link timeout) may still
    // prepare a moment later and hold its keys until the next resolve
    let settled: { sync: string[]; pending: number[] } = { sync: ['not run'], pending: [] };
    for (let round = 0; round < 10; round += 1) {
      await resolveFleet(fleet.config, [], true, fleet.env);
      const synced = await syncFleet(fleet.config, [], true, fleet.env);
      const resolved = await resolveFleet(fleet.config, [], true, fleet.env);
      const prepared = await Promise.all(REGIONS.map(async (r) => (await fleet.query(r, 'SELECT gid FROM pg_prepared_xacts')).length));
      settled = {
        sync: synced.filter((s) => s.error !== undefined).map((s) => s.error?.message ?? ''),
        pending: resolved.map((r) => r.pending),
      };
      if (settled.sync.length === 0 && settled.pending.every((n) => n === 0) && prepared.every((n) => n === 0)) break;
      await new Promise((resolve) => setTimeout(resolve, 500)); // poll again: a late part prepares within its lock_timeout
    }
    t.deepEqual(settled, { sync: [], pending: [0, 0, 0] });
    for (const region of REGIONS) {
      t.deepEqual(await fleet.query(region, 'SELECT gid FROM pg_prepared_xacts'), [], `${region}: nothing prepared`);
      t.deepEqual(await fleet.query(region, 'SELECT region, uuid FROM shared.identity_outbox'), [], `${region}: nothing queued`);
    }
    const report = await verifyFleet(fleet.config, fleet.env, { dir: fleet.dir });
    t.deepEqual(
      report.findings.map((f) => `${f.rule} ${f.region} ${f.key ?? ''} ${f.detail}`),
      [],
    );

    const finals = await fleet.query<{ uuid: string; note: string; name: string | null }>(
      'usa',
      'SELECT i.uuid::text, i.note, d.name FROM shared.identity i LEFT JOIN shared.identity_details d ON d.uuid = i.uuid AND d.region = i.region WHERE i.uuid = ANY ($1::uuid[])',
      [KEYS],
    );
    const bad = KEYS.flatMap((k) =>
      violations(
        k,
        history,
        finals.find((f) => f.uuid === k),
      ),
    );
    t.deepEqual(bad, []);
    const count = (o: Call['outcome']) => history.filter((c) => c.outcome === o).length;
    const codes = history.reduce<Record<string, number>>((m, c) => ({ ...m, [c.code ?? 'ok']: (m[c.code ?? 'ok'] ?? 0) + 1 }), {});
    t.log(
      `${history.length} calls: ${count('ok')} acknowledged, ${count('failed')} failed, ${count('unknown')} unknown; ${JSON.stringify(codes)}`,
    );
    t.is(count('unknown'), 0, JSON.stringify(history.filter((c) => c.outcome === 'unknown').map((c) => c.code)));
    t.true(count('ok') > 20, 'enough calls were acknowledged to mean something');
    recordCase(t, undefined, bad.length);
  },
);
