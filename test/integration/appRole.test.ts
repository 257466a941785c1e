import test from 'ava';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { connectFleet } from '../../src/client/connectFleet.js';
import { MIXED, startFleet, type Fleet } from '../helpers/fleet.js';

// The application connects as an ordinary role listed in app_roles: it may
// call the API and read the parent, through the PUBLIC user mappings, and
// nothing else.
let fleet: Fleet;
const APP_PASSWORD = randomUUID();
test.before(async () => {
  fleet = await startFleet({ regions: MIXED, extra: 'app_roles: [app]', migrate: false, unsafeFast: true });
  for (const region of ['usa', 'gbr', 'aus']) await fleet.query(region, `CREATE ROLE app LOGIN PASSWORD '${APP_PASSWORD}'`);
  const error = (await fleet.migrate({})).find((r) => r.error)?.error;
  if (error) throw error;
});
test.after.always(async () => {
  await fleet?.stop();
});

async function asApp<T>(region: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port: fleet.ports[region],
    user: 'app',
    password: APP_PASSWORD,
    database: 'residency',
  });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

for (const region of ['usa', 'aus']) {
  test(`a non-superuser in app_roles uses the API and reads every region from ${region}`, async (t) => {
    const key = randomUUID();
    const owner = region === 'usa' ? 'gbr' : 'usa';
    await asApp(region, async (app) => {
      const [created] = (await app.query('SELECT * FROM shared.upsert_identity($1, $2, $3, $4)', [key, 'App User', owner, 'n'])).rows;
      t.deepEqual(created, { uuid: key, created: true, owned_here: false });
      const rows = (await app.query('SELECT region, name FROM shared.identity_details WHERE uuid = $1', [key])).rows;
      t.deepEqual(rows, [{ region: owner, name: 'App User' }]);
      t.deepEqual((await app.query('SELECT name FROM shared.get_identity($1)', [key])).rows, [{ name: 'App User' }]);
      for (const sql of [
        `SELECT * FROM "${owner}".identity_details`,
        'SELECT * FROM shared.identity_outbox',
        `DELETE FROM shared.identity_details`,
      ]) {
        const code = await app.query(sql).then(
          () => 'allowed',
          (e: { code: string }) => e.code,
        );
        t.is(code, '42501', sql);
      }
    });
    const [stored] = await fleet.query(owner, `SELECT name FROM "${owner}".identity_details WHERE uuid = $1`, [key]);
    t.deepEqual(stored, { name: 'App User' });
  });
}

test('issue 17, finding 3: connectFleet().resolve() works as an application role (it was 42501)', async (t) => {
  const client = await connectFleet({
    config: fleet.config,
    env: fleet.env,
    connections: Object.fromEntries(
      ['usa', 'gbr', 'aus'].map((r) => [
        r,
        { host: '127.0.0.1', port: fleet.ports[r], user: 'app', password: APP_PASSWORD, database: 'residency' },
      ]),
    ),
  });
  try {
    const results = await client.resolve();
    t.deepEqual(
      results.map((r) => [r.region, r.error?.message, r.pending]),
      [
        ['usa', undefined, 0],
        ['gbr', undefined, 0],
        ['aus', undefined, 0],
      ],
    );
  } finally {
    await client.close();
  }
});
