import test from 'ava';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { startAppPooler, type AppPooler } from '../helpers/appPooler.js';
import { MIXED, startFleet, type Fleet } from '../helpers/fleet.js';

// Issue 20, the application's side: a new session's first write costs what a
// warm one does when the application's sessions reach their region through a
// pooler in transaction mode (PgBouncer), as an application pooler is
// deployed: a new client session runs on a server connection an earlier one
// warmed (its links open, its functions compiled). The write and read
// functions keep nothing between calls that such a pool would carry to
// another session: each call is one transaction.
const REGIONS = ['usa', 'gbr', 'aus'] as const;
const APP_PASSWORD = randomUUID();
let fleet: Fleet;
let pooler: AppPooler;
test.before(async () => {
  fleet = await startFleet({ regions: MIXED, extra: 'app_roles: [app]', migrate: false, unsafeFast: true });
  for (const region of REGIONS) await fleet.query(region, `CREATE ROLE app LOGIN PASSWORD '${APP_PASSWORD}'`);
  const error = (await fleet.migrate({})).find((r) => r.error)?.error;
  if (error) throw error;
  pooler = await startAppPooler({ serverPort: fleet.ports.usa!, users: { app: APP_PASSWORD }, poolSize: 2 });
});
test.after.always(async () => {
  await pooler?.stop();
  await fleet?.stop();
});

/** A new application session through the pooler in front of usa. */
async function session<T>(work: (client: pg.Client, backends: Set<number>) => Promise<T>): Promise<{ result: T; backends: Set<number> }> {
  const client = await pooler.connect('app');
  const backends = new Set<number>();
  try {
    const result = await work(client, backends);
    return { result, backends };
  } finally {
    await client.end();
  }
}

const backend = async (client: pg.Client) => (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;

test('application sessions through PgBouncer in transaction mode write, read and erase in every region; a new session writes on a backend an earlier one warmed', async (t) => {
  const [first, second] = [randomUUID(), randomUUID()];
  const a = await session(async (c, seen) => {
    seen.add(await backend(c));
    await c.query("SELECT shared.upsert_identity($1, 'First', 'gbr', 'pooled')", [first]);
    seen.add(await backend(c));
    return (await c.query<{ name: string }>('SELECT name FROM shared.get_identity($1)', [first])).rows;
  });
  t.deepEqual(a.result, [{ name: 'First' }], 'the first session reads its write back');
  const b = await session(async (c, seen) => {
    const pid = await backend(c);
    seen.add(pid);
    await c.query("SELECT shared.upsert_identity($1, 'Second', 'aus', 'pooled')", [second]);
    const many = (
      await c.query<{ uuid: string; name: string; region: string }>(
        'SELECT uuid::text, name, region FROM shared.get_identity_many($1::uuid[]) ORDER BY name',
        [[first, second]],
      )
    ).rows;
    await c.query('SELECT shared.erase_identity($1)', [first]);
    return { pid, many };
  });
  t.true(
    a.backends.has(b.result.pid),
    `the second session's server connection (${b.result.pid}) is one the first used (${[...a.backends].join(', ')})`,
  );
  t.deepEqual(b.result.many, [
    { uuid: first, name: 'First', region: 'gbr' },
    { uuid: second, name: 'Second', region: 'aus' },
  ]);
  for (const region of REGIONS) {
    const directory = await fleet.query<{ uuid: string; region: string }>(
      region,
      'SELECT uuid::text, region FROM shared.identity WHERE uuid = ANY ($1::uuid[]) ORDER BY uuid',
      [[first, second]],
    );
    t.deepEqual(directory, [{ uuid: second, region: 'aus' }], `${region}: the directory holds the second person only (the first erased)`);
    const personal = await fleet.query<{ name: string }>(
      region,
      `SELECT name FROM "${region}".identity_details WHERE uuid = ANY ($1::uuid[])`,
      [[first, second]],
    );
    t.deepEqual(personal, region === 'aus' ? [{ name: 'Second' }] : [], `${region}: personal rows only in their owner`);
    t.deepEqual(await fleet.query(region, 'SELECT gid FROM pg_prepared_xacts'), [], `${region}: no part left prepared`);
  }
});
