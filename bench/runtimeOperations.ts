import type pg from 'pg';
import { identityCalls as call, newPeople, newPerson, type Person } from './identityCalls.js';
import type { ModelEstimate, Operation, Work } from './operation.js';

export interface RuntimePlan {
  /** Warm-up and timed iterations of the cheap operations. */
  readonly warmup: number;
  readonly runs: number;
  /** Rows of the set-based upsert. */
  readonly setRows: number;
  /** Timed runs of the set-based upsert from a region without batch_size (slow: one round trip per row). */
  readonly setRunsUnbatched: number;
  readonly setRunsBatched: number;
  /** Single upserts actually run, then scaled to `setRows`. */
  readonly singleSample: number;
  /** The fleet's `batch_size` (the config default). */
  readonly batchSize: number;
}

export interface RuntimeContext {
  /** One long-lived session per region, so postgres_fdw connections are reused as in an application's pool. */
  readonly clients: Readonly<Record<string, pg.Client>>;
  /** Opens a fresh session to a region (closed when the fleet stops). */
  readonly connect: (region: string) => Promise<pg.Client>;
  /** Region names, in regions.yaml order. */
  readonly regions: readonly string[];
  readonly plan: RuntimePlan;
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(`benchmark check failed: ${message}`);
}

const repeat = (count: number, work: Work): Work[] => Array.from({ length: count }, () => work);

/** Creates people (untimed) through the set-based function of a region. */
async function stored(client: pg.Client, people: Person[]): Promise<Person[]> {
  const result = await call.upsertMany(client, people);
  check(
    Number(result.rows[0]?.count) === people.length,
    `upsert_identity_many stored ${String(result.rows[0]?.count)} of ${people.length} rows`,
  );
  return people;
}

/** Rows per region for a set spread round-robin over the regions: [334, 333, 333]. */
function spread(rows: number, regions: number): number[] {
  return Array.from({ length: regions }, (_, i) => Math.floor(rows / regions) + (i < rows % regions ? 1 : 0));
}

/**
 * The operations of the runtime benchmark on the mixed fleet (usa 10 routing,
 * gbr 11 native, aus 18 native), in the order they run. Each carries, where
 * POSTGRES-FACTS' cost model covers it, the round trips the model predicts.
 */
export function runtimeOperations(ctx: RuntimeContext): Operation[] {
  const { clients, plan } = ctx;
  const remotes = ctx.regions.length - 1;
  const client = (region: string): pg.Client => clients[region]!;
  const cheap = { warmup: plan.warmup, runs: plan.runs };

  const upsertNew =
    (from: string, owner: string): Operation['prepare'] =>
    (count) =>
      Array.from({ length: count }, () => async () => {
        const r = await call.upsert(client(from), newPerson(owner));
        check(r.rows[0]?.created === true, `upsert_identity from ${from} of a new ${owner} person did not report created`);
      });

  const newOps: Operation[] = [];
  for (const [from, other] of [
    ['usa', 'gbr'],
    ['gbr', 'aus'],
    ['aus', 'usa'],
  ] as const) {
    newOps.push(
      {
        id: `new-${from}-${from}`,
        section: 'Single upsert of a new person',
        label: `new person, owner ${from} (called in owner)`,
        from,
        ...cheap,
        baseline: from === 'usa' ? undefined : 'new-usa-usa',
        model: { roundTrips: 5 * remotes, basis: `${remotes} mirror INSERTs × 5` },
        prepare: upsertNew(from, from),
      },
      {
        id: `new-${from}-${other}`,
        section: 'Single upsert of a new person',
        label: `new person, owner ${other} (called in non-owner)`,
        from,
        ...cheap,
        baseline: `new-${from}-${from}`,
        model: { roundTrips: 5 * remotes + 3, basis: `${remotes} × 5, +3 for the owner's 2nd INSERT` },
        prepare: upsertNew(from, other),
      },
    );
  }
  newOps.push({
    id: 'new-session-usa',
    section: 'Single upsert of a new person',
    label: 'new person, owner usa, first call of a new session',
    from: 'usa',
    ...cheap,
    baseline: 'new-usa-usa',
    model: { roundTrips: 12 * remotes, basis: `${remotes} × (5 + 7 for a new connection)` },
    prepare: async (count) => {
      const sessions = await Promise.all(Array.from({ length: count }, () => ctx.connect('usa')));
      return sessions.map((session) => async () => {
        const r = await call.upsert(session, newPerson('usa'));
        check(r.rows[0]?.created === true, 'upsert_identity in a new session did not report created');
      });
    },
  });

  const updateOps: Operation[] = [];
  for (const [from, owner] of [
    ['usa', 'usa'],
    ['usa', 'gbr'],
    ['gbr', 'gbr'],
    ['gbr', 'aus'],
    ['aus', 'aus'],
    ['aus', 'usa'],
  ] as const) {
    updateOps.push({
      id: `update-${from}-${owner}`,
      section: 'Update of an existing person (upsert again)',
      label: `update, owner ${owner}${from === owner ? ' (called in owner)' : ' (called in non-owner)'}`,
      from,
      ...cheap,
      baseline: `new-${from}-${owner}`,
      prepare: async (count) => {
        const people = await stored(
          client(from),
          Array.from({ length: count }, () => newPerson(owner)),
        );
        return people.map((p) => async () => {
          const r = await call.upsert(client(from), { ...p, name: `${p.name} (renamed)`, note: `${p.note} (updated)` });
          check(r.rows[0]?.created === false, `upsert_identity from ${from} of an existing ${owner} person reported created`);
        });
      },
    });
  }

  const setOps: Operation[] = [];
  const perRegion = spread(plan.setRows, ctx.regions.length);
  for (const [from, batched] of [
    ['usa', false],
    ['aus', true],
  ] as const) {
    // Per remote: START + COMMIT, and per INSERT statement PREPARE + one EXECUTE per batch + DEALLOCATE.
    const executes = (rows: number) => (batched ? Math.ceil(rows / plan.batchSize) : rows);
    const setModel: ModelEstimate = {
      roundTrips:
        remotes * (2 + 2 + executes(plan.setRows)) +
        ctx.regions.filter((r) => r !== from).reduce((n, r) => n + 2 + executes(perRegion[ctx.regions.indexOf(r)]!), 0),
      basis: batched ? `INSERTs in batches of ${plan.batchSize}` : 'one EXECUTE per row and remote',
    };
    const setRuns = batched ? plan.setRunsBatched : plan.setRunsUnbatched;
    setOps.push(
      {
        id: `singles-${from}`,
        section: `Set-based upsert vs single upserts (${plan.setRows} new rows over ${ctx.regions.length} regions)`,
        label: `${plan.setRows} × upsert_identity, autocommit`,
        from,
        warmup: 0,
        runs: 1,
        model: {
          roundTrips: Math.round(plan.setRows * (5 * remotes + 3 * (remotes / ctx.regions.length))),
          basis: 'per call 10 or 13, see above',
        },
        scale: {
          factor: plan.setRows / plan.singleSample,
          note: `${plan.singleSample} calls run, ×${(plan.setRows / plan.singleSample).toFixed(1)}`,
        },
        prepare: (count) =>
          repeat(count, async () => {
            for (const p of newPeople(plan.singleSample, ctx.regions)) await call.upsert(client(from), p);
          }),
      },
      {
        id: `set-${from}`,
        section: `Set-based upsert vs single upserts (${plan.setRows} new rows over ${ctx.regions.length} regions)`,
        label: `upsert_identity_many, ${plan.setRows} rows${batched ? ` (batch_size ${plan.batchSize})` : ' (no batch_size before PG14)'}`,
        from,
        warmup: 1,
        runs: setRuns,
        baseline: `singles-${from}`,
        model: setModel,
        prepare: (count) =>
          Array.from({ length: count }, (_, i) => {
            // The warm-up plans the statements with a small set; the timed runs write the full set.
            const people = newPeople(i === 0 ? ctx.regions.length * 3 : plan.setRows, ctx.regions);
            return () => stored(client(from), people);
          }),
      },
    );
  }

  const lookupOps: Operation[] = [];
  for (const from of ['usa', 'aus'] as const) {
    const section = 'Lookup of one person by key (owner gbr)';
    let remote: Person | undefined;
    let local: Person | undefined;
    const found = (what: string) => (r: pg.QueryResult) =>
      check(r.rows.length === 1, `${what} from ${from} returned ${r.rows.length} rows, expected 1`);
    const lookup =
      (what: string, query: (p: Person) => Promise<pg.QueryResult>, owner: 'remote' | 'local'): Operation['prepare'] =>
      async (count) => {
        if (owner === 'remote') remote ??= (await stored(client(from), [newPerson('gbr')]))[0]!;
        else local ??= (await stored(client(from), [newPerson(from)]))[0]!;
        const p = owner === 'remote' ? remote! : local!;
        return repeat(count, async () => found(what)(await query(p)));
      };
    lookupOps.push(
      {
        id: `get-${from}`,
        section,
        label: 'get_identity(key)',
        from,
        ...cheap,
        model: { roundTrips: 5, basis: 'one remote scan' },
        prepare: lookup('get_identity', (p) => call.get(client(from), p.uuid), 'remote'),
      },
      {
        id: `get-local-${from}`,
        section,
        label: `get_identity(key), owner ${from} (local)`,
        from,
        ...cheap,
        baseline: `get-${from}`,
        model: { roundTrips: 0, basis: 'no remote' },
        prepare: lookup('get_identity', (p) => call.get(client(from), p.uuid), 'local'),
      },
      {
        id: `unpruned-${from}`,
        section,
        label: 'identity_details WHERE uuid = $1 (unpruned)',
        from,
        ...cheap,
        baseline: `get-${from}`,
        model: { roundTrips: 5 * remotes, basis: `${remotes} remote scans` },
        prepare: lookup('unpruned SELECT', (p) => call.selectUnpruned(client(from), p.uuid), 'remote'),
      },
      {
        id: `pruned-${from}`,
        section,
        label: 'identity_details WHERE region = $2 AND uuid = $1 (pruned)',
        from,
        ...cheap,
        baseline: `get-${from}`,
        model: { roundTrips: 5, basis: 'one remote scan' },
        prepare: lookup('pruned SELECT', (p) => call.selectPruned(client(from), p.uuid, p.region), 'remote'),
      },
    );
  }

  const moveOps: Operation[] = [];
  for (const [from, to] of [
    ['usa', 'gbr'],
    ['aus', 'usa'],
  ] as const) {
    moveOps.push(
      {
        id: `rehome-${from}`,
        section: 'Rehome and erase',
        label: `rehome_identity, owner ${from} → ${to}`,
        from,
        ...cheap,
        baseline: `new-${from}-${from}`,
        model: { roundTrips: 2 * remotes + remotes + 3, basis: `START+COMMIT, 1 UPDATE per remote, +3 INSERT in ${to}` },
        prepare: async (count) => {
          const people = await stored(
            client(from),
            Array.from({ length: count }, () => newPerson(from)),
          );
          return people.map((p) => async () => {
            const r = await call.rehome(client(from), p.uuid, to);
            check(
              r.rows[0]?.rehome_identity === true,
              `rehome_identity from ${from} to ${to} returned ${String(r.rows[0]?.rehome_identity)}`,
            );
          });
        },
      },
      {
        id: `erase-${from}`,
        section: 'Rehome and erase',
        label: `erase_identity, owner ${from}`,
        from,
        ...cheap,
        baseline: `new-${from}-${from}`,
        model: { roundTrips: 3 * remotes, basis: `${remotes} × (START, DELETE, COMMIT)` },
        prepare: async (count) => {
          const people = await stored(
            client(from),
            Array.from({ length: count }, () => newPerson(from)),
          );
          return people.map((p) => async () => {
            const r = await call.erase(client(from), p.uuid);
            check(r.rows[0]?.erase_identity === true, `erase_identity from ${from} returned ${String(r.rows[0]?.erase_identity)}`);
          });
        },
      },
    );
  }

  const reference: Operation = {
    id: 'select-1',
    section: 'Reference',
    label: 'SELECT 1 (client round trip, no postgres_fdw)',
    from: 'usa',
    ...cheap,
    model: { roundTrips: 0, basis: 'no remote' },
    prepare: (count) => repeat(count, () => client('usa').query('SELECT 1')),
  };

  return [reference, ...newOps, ...updateOps, ...lookupOps, ...moveOps, ...setOps];
}
