import type pg from 'pg';
import { literal, qualified } from '../src/sql/quote.js';
import { identityCalls as call, newPeople, newPerson, type Person } from './identityCalls.js';
import type { Operation, Work } from './operation.js';

/** What the region-count benchmark runs on one fleet. */
export interface RegionPlan {
  readonly warmup: number;
  readonly runs: number;
  /** Batch sizes of `upsert_identity_many` and the regions they are called in; empty to skip. */
  readonly batches: readonly { readonly from: string; readonly rows: readonly number[] }[];
}

export interface RegionContext {
  /** A long-lived session per region, direct (no proxy). */
  readonly clients: Readonly<Record<string, pg.Client>>;
  /** A long-lived session per remote region of `caller` through its proxy, for the parallel floor. */
  readonly proxied: Readonly<Record<string, pg.Client>>;
  readonly regions: readonly string[];
  /** Where every single call is made (usa, PostgreSQL 10). */
  readonly caller: string;
  /** The owner of rows written from a non-owner. */
  readonly other: string;
  readonly plan: RegionPlan;
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(`benchmark check failed: ${message}`);
}

/** The floors every write and read is divided by. */
export const FLOORS = ['floor-local', 'floor-fdw', 'floor-parallel'] as const;
export type FloorId = (typeof FLOORS)[number];

/** Stable ids of the operations measured in every fleet, in the order they are reported. */
export const SINGLE_OPS = [
  'upsert-new-owner',
  'upsert-new-nonowner',
  'upsert-existing-owner',
  'upsert-existing-nonowner',
  'get-remote',
  'rehome',
  'erase',
] as const;

export const batchId = (from: string, rows: number) => `batch-${from}-${rows}`;

/**
 * The region-count benchmark's operations on one fleet: the three floors, the
 * single writes and the lookup of the SQL API, all called in `caller`, and the
 * batches of the plan.
 */
export function regionOperations(ctx: RegionContext): Operation[] {
  const { clients, caller, other, plan } = ctx;
  const remotes = ctx.regions.filter((r) => r !== caller);
  const section = `${ctx.regions.length} regions`;
  const base = { section, from: caller, warmup: plan.warmup, runs: plan.runs };
  const c = clients[caller]!;
  const stored = async (people: Person[]): Promise<Person[]> => {
    const r = await call.upsertMany(c, people);
    check(Number(r.rows[0]?.count) === people.length, `upsert_identity_many stored ${String(r.rows[0]?.count)} of ${people.length}`);
    return people;
  };
  const each = (count: number, make: () => Work): Work[] => Array.from({ length: count }, make);

  const ops: Operation[] = [
    {
      ...base,
      id: 'floor-local',
      label: 'floor: one local INSERT (autocommit, no other region)',
      prepare: async (count) => {
        await c.query('CREATE TABLE IF NOT EXISTS public.bench_floor (k uuid PRIMARY KEY, v text)');
        return each(count, () => async () => {
          const p = newPerson(caller);
          await c.query('INSERT INTO public.bench_floor (k, v) VALUES ($1, $2)', [p.uuid, p.name]);
        });
      },
    },
    {
      ...base,
      id: 'floor-fdw',
      label: 'floor: a new person written by hand through postgres_fdw (one transaction)',
      // What upsert_identity does for a new person owned here, as one
      // hand-written transaction: the local directory row and personal row,
      // one INSERT into each other region's directory through a foreign table
      // of the bench's own (the functions no longer use foreign directory tables).
      // The link role may not write a directory (issue 17: least privilege), so
      // each remote gets a table of the directory's shape that it may write.
      prepare: async (count) => {
        await c.query('CREATE SCHEMA IF NOT EXISTS bench_fdw');
        for (const r of remotes) {
          await ctx.proxied[r]!.query(
            'CREATE TABLE IF NOT EXISTS public.bench_floor_directory (uuid uuid PRIMARY KEY, region text NOT NULL, note text, created_on timestamptz NOT NULL)',
          );
          await ctx.proxied[r]!.query('GRANT INSERT ON public.bench_floor_directory TO PUBLIC');
          await c.query(
            `CREATE FOREIGN TABLE IF NOT EXISTS ${qualified('bench_fdw', r)} (uuid uuid, region text, note text, created_on timestamptz) SERVER ${qualified(r)} OPTIONS (schema_name 'public', table_name 'bench_floor_directory')`,
          );
        }
        return each(count, () => async () => {
          const p = newPerson(caller);
          const values = `(${literal(p.uuid)}, ${literal(p.region)}, ${literal(p.note)})`;
          await c.query(
            [
              'BEGIN',
              `INSERT INTO shared.identity (uuid, region, note) VALUES ${values}`,
              `INSERT INTO ${qualified(caller, 'identity_details')} (uuid, region, name) VALUES (${literal(p.uuid)}, ${literal(p.region)}, ${literal(p.name)})`,
              ...remotes.map(
                (r) =>
                  `INSERT INTO ${qualified('bench_fdw', r)} (uuid, region, note, created_on) VALUES (${literal(p.uuid)}, ${literal(p.region)}, ${literal(p.note)}, now())`,
              ),
              'COMMIT',
            ].join(';\n'),
          );
        });
      },
    },
    {
      ...base,
      id: 'floor-parallel',
      label: 'floor: one round trip to every other region, in parallel',
      prepare: (count) => each(count, () => () => Promise.all(remotes.map((r) => ctx.proxied[r]!.query('SELECT 1')))),
    },
    {
      ...base,
      id: 'upsert-new-owner',
      label: `upsert_identity, new person, called in its owner ${caller}`,
      prepare: (count) =>
        each(count, () => async () => {
          const r = await call.upsert(c, newPerson(caller));
          check(r.rows[0]?.created === true, 'a new person was not reported created');
        }),
    },
    {
      ...base,
      id: 'upsert-new-nonowner',
      label: `upsert_identity, new person owned by ${other}, called in ${caller}`,
      prepare: (count) =>
        each(count, () => async () => {
          const r = await call.upsert(c, newPerson(other));
          check(r.rows[0]?.created === true, 'a new person was not reported created');
        }),
    },
    ...(['owner', 'nonowner'] as const).map((who): Operation => ({
      ...base,
      id: `upsert-existing-${who}`,
      label: `upsert_identity, existing person${who === 'owner' ? `, called in its owner ${caller}` : ` owned by ${other}, called in ${caller}`}`,
      prepare: async (count) => {
        const people = await stored(Array.from({ length: count }, () => newPerson(who === 'owner' ? caller : other)));
        return people.map((p) => async () => {
          const r = await call.upsert(c, { ...p, name: `${p.name} (renamed)` });
          check(r.rows[0]?.created === false, 'an existing person was reported created');
        });
      },
    })),
    {
      ...base,
      id: 'get-remote',
      label: `get_identity(key), owned by ${other}, called in ${caller}`,
      prepare: async (count) => {
        const [p] = await stored([newPerson(other)]);
        return each(count, () => async () => {
          const r = await call.get(c, p!.uuid);
          check(r.rows.length === 1, `get_identity returned ${r.rows.length} rows`);
        });
      },
    },
    {
      ...base,
      id: 'rehome',
      label: `rehome_identity, ${caller} to ${other}, called in ${caller}`,
      prepare: async (count) => {
        const people = await stored(Array.from({ length: count }, () => newPerson(caller)));
        return people.map((p) => async () => {
          const r = await call.rehome(c, p.uuid, other);
          check(r.rows[0]?.rehome_identity === true, 'rehome_identity did not move the person');
        });
      },
    },
    {
      ...base,
      id: 'erase',
      label: `erase_identity, owned by ${caller}, called in ${caller}`,
      prepare: async (count) => {
        const people = await stored(Array.from({ length: count }, () => newPerson(caller)));
        return people.map((p) => async () => {
          const r = await call.erase(c, p.uuid);
          check(r.rows[0]?.erase_identity === true, 'erase_identity erased nothing');
        });
      },
    },
  ];

  for (const batch of plan.batches) {
    for (const rows of batch.rows) {
      // fewer timed runs for the big batches; the warm-up plans the statements with a small set
      const runs = rows >= 1000 ? 1 : rows >= 100 ? 3 : plan.runs;
      ops.push({
        section,
        id: batchId(batch.from, rows),
        label: `upsert_identity_many, ${rows.toLocaleString('en-US')} new rows over ${ctx.regions.length} owners, called in ${batch.from}`,
        from: batch.from,
        warmup: 1,
        runs,
        prepare: (count) =>
          Array.from({ length: count }, (_, i) => {
            const people = newPeople(i === 0 ? Math.min(rows, ctx.regions.length) : rows, ctx.regions);
            return async () => {
              const r = await call.upsertMany(clients[batch.from]!, people);
              check(
                Number(r.rows[0]?.count) === people.length,
                `upsert_identity_many stored ${String(r.rows[0]?.count)} of ${people.length}`,
              );
            };
          }),
      });
    }
  }
  return ops;
}
