import test from 'ava';
import { randomUUID } from 'node:crypto';
import { connectFleet, type FleetClient } from '../../src/client/connectFleet.js';
import { FleetCallError } from '../../src/client/callError.js';
import type { EntityClient } from '../../src/client/entityClient.js';
import { ResidencyError } from '../../src/errors.js';
import { MIXED, startFleet, type Fleet } from '../helpers/fleet.js';

// The TypeScript client on the mixed fleet (usa 10 routing, gbr 11 and aus 18
// native); every assertion on stored rows reads each region directly.
interface Identity {
  uuid: string;
  region: string;
  name: string | null;
  note?: string | null;
  created_on?: Date;
}

const REGIONS = ['usa', 'gbr', 'aus'] as const;
let fleet: Fleet;
let client: FleetClient;
let people: EntityClient<Identity>;
test.before(async () => {
  fleet = await startFleet({ regions: MIXED, extra: 'timeouts: { lock_timeout: 2s, statement_timeout: 20s }', unsafeFast: true });
  // reached through each region's url, with the fleet's generated PGPASSWORD
  client = await connectFleet({ config: fleet.config, env: fleet.env, defaultRegion: 'usa', poolSize: 2 });
  people = client.entity<Identity>('identity');
});
test.after.always(async () => {
  await client?.close();
  await fleet?.stop();
});

/** Where a key is, as each region itself stores it. */
async function whereIs(key: string) {
  const out: Record<string, { directory: string | null; leaf: string | null }> = {};
  for (const region of REGIONS) {
    const [dir] = await fleet.query(region, 'SELECT region FROM shared.identity WHERE uuid = $1', [key]);
    const [leaf] = await fleet.query(region, `SELECT name FROM ONLY "${region}".identity_details WHERE uuid = $1`, [key]);
    out[region] = { directory: (dir?.region as string) ?? null, leaf: (leaf?.name as string) ?? null };
  }
  return out;
}

/** The application_name of the sessions the client opened in a region. */
async function clientSessions(region: string): Promise<number> {
  const [row] = await fleet.query(region, "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'pg-residency client'");
  return row!.n as number;
}

test.serial('upsert in the home region, read from the others, rehome, erase: each region holds what it should', async (t) => {
  const uuid = randomUUID();
  const created = await people.upsert({ uuid, region: 'gbr', name: 'Da Queen', note: 'first' });
  t.deepEqual(created, { key: uuid, created: true, ownedHere: true }, 'ran in gbr, the home region');
  t.deepEqual(await whereIs(uuid), {
    usa: { directory: 'gbr', leaf: null },
    gbr: { directory: 'gbr', leaf: 'Da Queen' },
    aus: { directory: 'gbr', leaf: null },
  });

  for (const region of ['usa', 'aus']) {
    const row = await people.get(uuid, { region });
    t.like(row, { uuid, region: 'gbr', name: 'Da Queen', note: 'first' }, `read from ${region}`);
    t.true(row?.created_on instanceof Date);
  }

  const updated = await people.upsert({ uuid, region: 'gbr', name: 'Da Queen II', note: 'second' }, { region: 'aus' });
  t.deepEqual(updated, { key: uuid, created: false, ownedHere: false }, 'written from aus, a non-owner');
  t.like(await people.get(uuid), { name: 'Da Queen II', note: 'second' });

  // only the fields given are written (issue 18): a field left out keeps its value, null clears it
  await people.upsert({ uuid, region: 'gbr', note: 'third' } as Identity, { region: 'usa' });
  t.like(await people.get(uuid), { name: 'Da Queen II', note: 'third' }, 'name kept');
  await people.upsert({ uuid, region: 'gbr', name: 'Da Queen III' });
  t.like(await people.get(uuid), { name: 'Da Queen III', note: 'third' }, 'note kept');
  await people.upsert({ uuid, region: 'gbr', note: null } as Identity);
  t.like(await people.get(uuid), { name: 'Da Queen III', note: null }, 'null clears');
  await people.upsert({ uuid, region: 'gbr', name: 'Da Queen II', note: 'second' });

  t.true(await people.rehome(uuid, 'aus'));
  t.false(await people.rehome(uuid, 'aus'), 'already there');
  t.deepEqual(await whereIs(uuid), {
    usa: { directory: 'aus', leaf: null },
    gbr: { directory: 'aus', leaf: null },
    aus: { directory: 'aus', leaf: 'Da Queen II' },
  });
  t.like(await people.get(uuid, { region: 'usa' }), { region: 'aus', name: 'Da Queen II' });

  t.true(await people.erase(uuid));
  t.false(await people.erase(uuid), 'nothing left to erase');
  t.is(await people.get(uuid), undefined);
  t.deepEqual(await whereIs(uuid), {
    usa: { directory: null, leaf: null },
    gbr: { directory: null, leaf: null },
    aus: { directory: null, leaf: null },
  });
  t.true((await clientSessions('gbr')) >= 1, 'the pooled sessions stay open');
});

test.serial('upsertMany writes rows of several owners in one call, and a key given once is read from its owner', async (t) => {
  const rows: Identity[] = [
    { uuid: randomUUID(), region: 'usa', name: 'Ann', note: null },
    { uuid: randomUUID(), region: 'gbr', name: 'Bob', note: 'b' },
    { uuid: randomUUID(), region: 'aus', name: 'Cy', note: 'c' },
  ];
  const results = await people.upsertMany(rows);
  t.deepEqual(
    results,
    rows.map((r) => ({ key: r.uuid, created: true, ownedHere: r.region === 'usa' })),
    'ran in usa, the default region',
  );
  for (const row of rows) {
    const where = await whereIs(row.uuid);
    for (const region of REGIONS) t.deepEqual(where[region], { directory: row.region, leaf: region === row.region ? row.name : null });
    t.like(await people.get(row.uuid), { region: row.region, name: row.name });
  }
});

/** A row as its owner stores it, read directly in the owner. */
async function ownRow(owner: string, key: string) {
  const [row] = await fleet.query(
    owner,
    `SELECT m.uuid, m.region, d.name, m.note, m.created_on FROM shared.identity m JOIN "${owner}".identity_details d USING (uuid) WHERE uuid = $1`,
    [key],
  );
  return row;
}

test.serial(
  'getMany, countByRegion and find call the read functions: rows as each owner stores them, counts as each owner counts',
  async (t) => {
    const tag = `reads-${randomUUID()}`;
    const rows: Identity[] = REGIONS.flatMap((region, r) =>
      Array.from({ length: r + 2 }, (_, i) => ({ uuid: randomUUID(), region, name: `Reader ${region} ${i}`, note: tag })),
    );
    await people.upsertMany(rows);
    const direct = await Promise.all(rows.map((row) => ownRow(row.region, row.uuid)));
    // getMany: in the order given, a key once, an unknown key left out, from any region
    const asked = [...rows].reverse();
    for (const region of REGIONS) {
      const got = await people.getMany([randomUUID(), ...asked.map((r) => r.uuid), asked[0]!.uuid], { region });
      t.deepEqual(got, [...direct].reverse(), `getMany from ${region}`);
    }
    t.deepEqual(await people.getMany([]), []);
    // countByRegion: every region, a directory and a personal filter, each equal to the owner's own count
    const owners = async (sql: string, params: unknown[]) =>
      Object.fromEntries(
        await Promise.all(
          REGIONS.map(async (owner) => [owner, Number((await fleet.query(owner, sql.replaceAll('$owner', `"${owner}"`), params))[0]!.n)]),
        ),
      );
    t.deepEqual(
      await people.countByRegion({ note: tag }, { region: 'aus' }),
      await owners('SELECT count(*) AS n FROM $owner.identity_details d JOIN shared.identity m USING (uuid) WHERE m.note = $1', [tag]),
    );
    t.deepEqual(await people.countByRegion({ note: tag }), { usa: 2, gbr: 3, aus: 4 });
    t.deepEqual(await people.countByRegion({ name: { '>=': 'Reader gbr', '<': 'Reader gbs' } }), { usa: 0, gbr: 3, aus: 0 });
    t.deepEqual(
      await people.countByRegion(),
      await owners('SELECT count(*) AS n FROM $owner.identity_details', []),
      'no filter: every row of each owner',
    );
    // find: pages in key order, each row as its owner stores it
    const pages: Identity[][] = [];
    let after: string | undefined;
    for (;;) {
      const page = await people.find({ note: tag }, { pageSize: 4, after, region: 'gbr' });
      if (page.length === 0) break;
      pages.push(page);
      after = page.at(-1)!.uuid;
    }
    t.deepEqual(
      pages.map((p) => p.length),
      [4, 4, 1],
    );
    t.deepEqual(
      pages.flat(),
      [...direct].sort((a, b) => (String(a!.uuid) < String(b!.uuid) ? -1 : 1)),
    );
    t.deepEqual(
      await people.find({ note: tag, region: 'usa' }),
      direct.slice(0, 2).sort((a, b) => (String(a!.uuid) < String(b!.uuid) ? -1 : 1)),
    );
    // a bad filter: the read's own error, with its region and function
    const bad = await t.throwsAsync(people.find({ nope: 1 }), { instanceOf: FleetCallError });
    t.is(bad?.sqlstate, 'RS008');
    t.regex(bad.message, /"nope"/);
    const personal = await t.throwsAsync(people.find({ name: 'Reader usa 0' }), { instanceOf: FleetCallError });
    t.is(personal?.sqlstate, 'RS008');
  },
);

test.serial('errors carry the SQLSTATE, the region and whether to retry; nothing is written', async (t) => {
  const uuid = randomUUID();
  const unknown = await t.throwsAsync(people.upsert({ uuid, region: 'nowhere', name: 'X' }), { instanceOf: FleetCallError });
  t.like(unknown, { code: 'CALL', sqlstate: 'RS001', region: 'usa', function: '"shared"."upsert_identity_many"', retryable: false });
  t.is(
    unknown?.message,
    'region "usa": "shared"."upsert_identity_many" failed with SQLSTATE RS001: unknown region "nowhere"; regions.yaml defines "usa", "gbr", "aus"',
  );
  t.true(unknown instanceof ResidencyError);

  const missing = await t.throwsAsync(people.rehome(uuid, 'gbr', { region: 'aus' }), { instanceOf: FleetCallError });
  t.like(missing, { sqlstate: 'RS004', region: 'aus' });

  await people.upsert({ uuid, region: 'gbr', name: 'Owned by gbr' });
  const elsewhere = await t.throwsAsync(people.upsert({ uuid, region: 'usa', name: 'Moved?' }), { instanceOf: FleetCallError });
  t.like(elsewhere, { sqlstate: 'RS003', region: 'usa' });
  t.regex(elsewhere.message, /belongs to region "gbr"/);

  const field = await t.throwsAsync(people.upsert({ uuid, region: 'gbr', name: 'x', Name: 'y' } as Identity), {
    instanceOf: FleetCallError,
  });
  t.like(field, { sqlstate: 'RS008' });
  t.is(
    field?.message,
    'region "gbr": "shared"."upsert_identity_many" failed with SQLSTATE RS008: shared.identity: unknown field "Name"; the columns are "uuid", "name", "region", "note", "created_on"',
  );

  // a value PostgreSQL rejects is not repeated in the message
  const bad = await t.throwsAsync(people.get('not-a-uuid-Secret Value'), { instanceOf: FleetCallError });
  t.is(bad?.sqlstate, '22P02');
  t.false(bad.message.includes('Secret Value'));

  t.deepEqual(await whereIs(uuid), {
    usa: { directory: 'gbr', leaf: null },
    gbr: { directory: 'gbr', leaf: 'Owned by gbr' },
    aus: { directory: 'gbr', leaf: null },
  });
  t.throws(() => client.entity('person'), {
    instanceOf: ResidencyError,
    message: 'unknown entity "person"; regions.yaml defines "shared.identity"',
  });
});

test.serial('resolve() runs in every region and leaves no prepared transaction', async (t) => {
  const results = await client.resolve();
  t.deepEqual(
    results.map((r) => [r.region, r.pending, r.error?.message]),
    REGIONS.map((r) => [r, 0, undefined]),
  );
  for (const region of REGIONS) t.deepEqual(await fleet.query(region, 'SELECT gid FROM pg_prepared_xacts'), [], region);
});

test.serial('an unreachable region is a CONNECTION error naming it; the others go on', async (t) => {
  const other = await connectFleet({
    config: fleet.config,
    env: fleet.env,
    connections: { aus: { host: '127.0.0.1', port: 1, user: 'postgres', connectionTimeoutMillis: 2000 } },
  });
  try {
    const e = await t.throwsAsync(other.entity<Identity>('identity').get(randomUUID(), { region: 'aus' }), { instanceOf: ResidencyError });
    t.is(e?.code, 'CONNECTION');
    t.regex(e.message, /^region "aus": "shared"."get_identity" could not reach the region/);
    t.is(await other.entity<Identity>('identity').get(randomUUID(), { region: 'gbr' }), undefined);
  } finally {
    await other.close();
  }
});
