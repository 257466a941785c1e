import test, { type ExecutionContext } from 'ava';
import { randomInt, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectFleet, type FleetClient } from '../../src/client/connectFleet.js';
import type { EntityClient } from '../../src/client/entityClient.js';
import { ResidencyError } from '../../src/errors.js';
import { syncFleet } from '../../src/migrate/syncFleet.js';
import { verifyFleet } from '../../src/verify/verifyFleet.js';
import { recordCase } from '../helpers/catalogue.js';
import { crashRegion } from '../helpers/crash.js';
import { MIXED, startFleet, type Fleet } from '../helpers/fleet.js';

// Issue 9's acceptance (and issue 8 #1) on a durable mixed fleet (usa 10, gbr
// 11, aus 18): write loops of at least 200 calls run concurrently through the
// TypeScript client while one server is SIGKILLed after a random number of
// calls and restarted. Then `resolve` runs in every region, and each region is
// read directly: every acknowledged write is in every directory and its owner,
// nothing unacknowledged is half-applied (a key in some directories only is
// queued in an outbox, and complete after sync), no prepared transaction is
// left, and no acknowledged rehome lost its personal row.
interface Identity {
  uuid: string;
  region: string;
  name: string | null;
  note?: string | null;
}

const REGIONS = ['usa', 'gbr', 'aus'] as const;
const CALLS = 200;
const WORKERS = 4;
let fleet: Fleet;
let client: FleetClient;
let people: EntityClient<Identity>;
test.before(async () => {
  fleet = await startFleet({ regions: MIXED, extra: 'timeouts: { lock_timeout: 2s, statement_timeout: 20s }' });
  client = await connectFleet({ config: fleet.config, env: fleet.env, poolSize: WORKERS });
  people = client.entity<Identity>('identity');
});
test.after.always(async () => {
  await client?.close();
  await fleet?.stop();
});

/** One row a call tried to write, and whether the call said it was written. */
interface Attempt {
  readonly key: string;
  readonly owner: string;
  readonly name: string;
  acknowledged: boolean;
}

interface LoopResult {
  readonly killedAfter: number;
  readonly refused: Record<string, number>;
}

/**
 * Runs `calls` calls on `WORKERS` concurrent workers; after `killAfter`
 * completed calls, SIGKILLs `victim` and restarts it `downMs` later. A worker
 * whose call could not reach a region waits for the restart before its next
 * call, so the loop spans the crash instead of failing through it.
 */
async function crashLoop(
  t: ExecutionContext,
  victim: string,
  call: (i: number) => Promise<void>,
  options: { killAfter?: number; downMs?: number } = {},
): Promise<LoopResult> {
  const killAfter = options.killAfter ?? randomInt(30, 150);
  t.log(`killing ${victim} after ${killAfter} of ${CALLS} calls`);
  let next = 0;
  let done = 0;
  let restarted: Promise<void> | undefined;
  const refused: Record<string, number> = {};
  const worker = async () => {
    for (let i = next++; i < CALLS; i = next++) {
      try {
        await call(i);
      } catch (error) {
        const code = error instanceof ResidencyError ? ((error as { sqlstate?: string }).sqlstate ?? error.code) : 'other';
        refused[code] = (refused[code] ?? 0) + 1;
        if (code === 'CONNECTION' || /^(08|57)/.test(code)) await restarted;
      }
      done += 1;
      if (done === killAfter && restarted === undefined) {
        restarted = (async () => {
          await crashRegion(fleet, victim);
          await sleep(options.downMs ?? 500);
          await fleet.startRegion(victim);
        })();
      }
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, worker));
  await restarted;
  t.log(`refused by SQLSTATE: ${JSON.stringify(refused)}`);
  return { killedAfter: killAfter, refused };
}

/**
 * Runs the resolver in every region until no part is pending (a restarted
 * region may still recover, a session's link to it is reopened once).
 */
async function resolveEverywhere(t: ExecutionContext): Promise<void> {
  const done: Record<string, number> = {};
  for (let attempt = 0; ; attempt += 1) {
    const results = await client.resolve();
    for (const r of results)
      for (const p of r.parts) if (p.outcome !== 'pending') done[`${r.region} ${p.outcome}`] = (done[`${r.region} ${p.outcome}`] ?? 0) + 1;
    const left = results.filter((r) => r.error !== undefined || r.pending > 0);
    if (left.length === 0) {
      t.log(`resolve (${attempt + 1} runs): ${JSON.stringify(done)}`);
      return;
    }
    if (attempt === 40) {
      t.fail(`resolve left work: ${left.map((r) => `${r.region}: ${r.error?.message ?? `${r.pending} pending`}`).join('; ')}`);
      return;
    }
    await sleep(250);
  }
}

interface Stored {
  /** Per region: key -> owner in its directory. */
  readonly directory: Record<string, Map<string, string>>;
  /** Per region: key -> name in its own leaf. */
  readonly leaf: Record<string, Map<string, string>>;
  /** Keys queued in any region's outbox. */
  readonly queued: Set<string>;
}

async function readStored(keys: readonly string[]): Promise<Stored> {
  const directory: Record<string, Map<string, string>> = {};
  const leaf: Record<string, Map<string, string>> = {};
  const queued = new Set<string>();
  for (const region of REGIONS) {
    const dir = await fleet.query<{ uuid: string; region: string }>(
      region,
      'SELECT uuid::text, region FROM shared.identity WHERE uuid = ANY ($1::uuid[])',
      [keys],
    );
    directory[region] = new Map(dir.map((r) => [r.uuid, r.region]));
    const rows = await fleet.query<{ uuid: string; name: string }>(
      region,
      `SELECT uuid::text, name FROM ONLY "${region}".identity_details WHERE uuid = ANY ($1::uuid[])`,
      [keys],
    );
    leaf[region] = new Map(rows.map((r) => [r.uuid, r.name]));
    for (const r of await fleet.query<{ uuid: string }>(
      region,
      'SELECT uuid::text FROM shared.identity_outbox WHERE uuid = ANY ($1::uuid[])',
      [keys],
    ))
      queued.add(r.uuid);
  }
  return { directory, leaf, queued };
}

/** Problems with one key: where it should be (`owner`, `name`) if acknowledged, all-or-nothing otherwise. */
function problems(stored: Stored, a: Attempt, allowQueued: boolean): string[] {
  const out: string[] = [];
  const dirs = REGIONS.filter((r) => stored.directory[r]!.has(a.key));
  const leaves = REGIONS.filter((r) => stored.leaf[r]!.has(a.key));
  if (a.acknowledged) {
    for (const r of REGIONS)
      if (stored.directory[r]!.get(a.key) !== a.owner && !(allowQueued && stored.queued.has(a.key)))
        out.push(`acknowledged, directory in ${r} is ${stored.directory[r]!.get(a.key) ?? 'missing'}`);
    if (stored.leaf[a.owner]!.get(a.key) !== a.name) out.push(`acknowledged, personal row missing in its owner ${a.owner}`);
    for (const r of leaves) if (r !== a.owner) out.push(`personal row outside its owner, in ${r}`);
    return out;
  }
  if (dirs.length > 0 && dirs.length < REGIONS.length && !(allowQueued && stored.queued.has(a.key)))
    out.push(`half-applied: directory rows in ${dirs.join(', ')} only, not queued`);
  if (leaves.length > 1) out.push(`personal rows in ${leaves.join(', ')}`);
  if (dirs.length === 0 && leaves.length > 0) out.push(`personal row in ${leaves.join(', ')} without a directory row`);
  if (dirs.length > 0 && leaves.length === 0) out.push('directory rows without a personal row');
  return out;
}

/**
 * The checks after a crash: resolve, no prepared transaction anywhere, no
 * half-applied write (outbox allowed), then sync, and every acknowledged
 * write complete, everything else all-or-nothing. Returns the rows lost.
 */
async function settleAndCheck(t: ExecutionContext, attempts: readonly Attempt[]): Promise<number> {
  await resolveEverywhere(t);
  for (const region of REGIONS)
    t.deepEqual(await fleet.query(region, 'SELECT gid FROM pg_prepared_xacts'), [], `${region}: prepared transactions left`);
  const keys = attempts.map((a) => a.key);
  const before = await readStored(keys);
  const early = attempts.flatMap((a) => problems(before, a, true).map((p) => `${a.key}: ${p}`));
  t.deepEqual(early.slice(0, 10), [], `after resolve: ${early.length} problems`);

  const sync = await syncFleet(fleet.config, [], true, fleet.env);
  t.deepEqual(
    sync.map((s) => [s.region, s.error?.message, s.entities.map((e) => e.pending)]),
    REGIONS.map((r) => [r, undefined, [0]]),
  );
  const after = await readStored(keys);
  const late = attempts.flatMap((a) => problems(after, a, false).map((p) => `${a.key}: ${p}`));
  t.deepEqual(late.slice(0, 10), [], `after sync: ${late.length} problems`);
  const acknowledged = attempts.filter((a) => a.acknowledged);
  t.log(`${acknowledged.length} of ${attempts.length} rows acknowledged`);
  t.true(acknowledged.length > 0);
  await verifyClean(t, keys);
  return acknowledged.filter((a) => !REGIONS.some((r) => after.leaf[r]!.get(a.key) === a.name)).length;
}

/** `pg-residency verify` over the whole fleet: no inconsistency for any key of the case. */
async function verifyClean(t: ExecutionContext, keys: readonly string[]): Promise<void> {
  const wanted = new Set(keys);
  const result = await verifyFleet(fleet.config, fleet.env, { dir: fleet.dir });
  t.deepEqual(
    result.regions.map((r) => [r.region, r.error?.message]),
    REGIONS.map((r) => [r, undefined]),
  );
  t.deepEqual(result.findings.filter((f) => f.key !== undefined && wanted.has(f.key)).slice(0, 10), [], 'verify');
}

const owners = (i: number) => REGIONS[i % REGIONS.length]!;

/** Single upserts called in `caller` for rows of every owner, with `victim` killed mid-loop. */
async function upsertCase(t: ExecutionContext, caller: string, victim: string): Promise<void> {
  recordCase(t, 1);
  const attempts: Attempt[] = [];
  await crashLoop(t, victim, async (i) => {
    const a: Attempt = { key: randomUUID(), owner: owners(i), name: `Person ${i}`, acknowledged: false };
    attempts.push(a);
    await people.upsert({ uuid: a.key, region: a.owner, name: a.name, note: `n${i}` }, { region: caller });
    a.acknowledged = true;
  });
  t.is(attempts.length, CALLS);
  recordCase(t, 1, await settleAndCheck(t, attempts));
}

test.serial('issue 9: a remote region (usa, 10) killed while gbr writes, between PREPARE and COMMIT PREPARED among others', async (t) => {
  await upsertCase(t, 'gbr', 'usa');
});

test.serial('issue 9: the calling region (gbr, 11) killed mid-loop, before and after its decision', async (t) => {
  await upsertCase(t, 'gbr', 'gbr');
});

test.serial('issue 9: the calling region (usa, 10) killed mid-loop, before and after its decision', async (t) => {
  await upsertCase(t, 'usa', 'usa');
});

test.serial('issue 9: a remote region (aus, 18) killed during batches of 10 rows called in usa', async (t) => {
  recordCase(t, 1);
  const attempts: Attempt[] = [];
  await crashLoop(t, 'aus', async (i) => {
    const batch: Attempt[] = Array.from({ length: 10 }, (_, j) => ({
      key: randomUUID(),
      owner: owners(i + j),
      name: `Batch ${i}.${j}`,
      acknowledged: false,
    }));
    attempts.push(...batch);
    const results = await people.upsertMany(
      batch.map((a) => ({ uuid: a.key, region: a.owner, name: a.name, note: null })),
      { region: 'usa' },
    );
    if (results.length === batch.length) for (const a of batch) a.acknowledged = true;
  });
  t.is(attempts.length, CALLS * 10);
  recordCase(t, 1, await settleAndCheck(t, attempts));
});

for (const victim of ['gbr', 'usa'] as const) {
  test.serial(
    `issue 9: ${victim === 'gbr' ? 'the new owner (gbr, 11)' : 'the old owner and caller (usa, 10)'} killed during 200 rehomes usa to gbr: no personal row lost`,
    async (t) => {
      recordCase(t, 1);
      const rows = Array.from({ length: CALLS }, (_, i) => ({ uuid: randomUUID(), region: 'usa', name: `Mover ${i}`, note: null }));
      for (let i = 0; i < rows.length; i += 50) await people.upsertMany(rows.slice(i, i + 50), { region: 'usa' });
      const acknowledged = new Set<string>();
      await crashLoop(t, victim, async (i) => {
        if (await people.rehome(rows[i]!.uuid, 'gbr', { region: 'usa' })) acknowledged.add(rows[i]!.uuid);
      });
      await resolveEverywhere(t);
      for (const region of REGIONS)
        t.deepEqual(await fleet.query(region, 'SELECT gid FROM pg_prepared_xacts'), [], `${region}: prepared transactions left`);
      const sync = await syncFleet(fleet.config, [], true, fleet.env);
      t.deepEqual(
        sync.map((s) => s.error?.message),
        REGIONS.map(() => undefined),
      );
      const stored = await readStored(rows.map((r) => r.uuid));
      const wrong: string[] = [];
      let lost = 0;
      for (const row of rows) {
        const leaves = REGIONS.filter((r) => stored.leaf[r]!.get(row.uuid) === row.name);
        const dirs = new Set(REGIONS.map((r) => stored.directory[r]!.get(row.uuid)));
        if (leaves.length === 0) lost += 1;
        if (leaves.length !== 1) wrong.push(`${row.uuid}: personal row in ${leaves.length} regions`);
        else if (dirs.size !== 1 || !dirs.has(leaves[0]))
          wrong.push(`${row.uuid}: directories say ${[...dirs].join('/')}, personal row in ${leaves[0]}`);
        if (acknowledged.has(row.uuid) && leaves[0] !== 'gbr')
          wrong.push(`${row.uuid}: acknowledged rehome, personal row in ${leaves.join('/') || 'no region'}`);
      }
      t.log(`${acknowledged.size} of ${CALLS} rehomes acknowledged`);
      t.true(acknowledged.size > 0);
      t.deepEqual(wrong.slice(0, 10), [], `${wrong.length} problems`);
      await verifyClean(
        t,
        rows.map((r) => r.uuid),
      );
      t.is(lost, 0);
      recordCase(t, 1, lost);
    },
  );
}
