import test from 'ava';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { freezeRegion } from '../helpers/crash.js';
import { startCapturingProxy, type CapturingProxy } from '../helpers/capturingProxy.js';
import { freePort, MIXED, SEED_ENTITY, startFleet, type Fleet } from '../helpers/fleet.js';

// The reads of issue 21 on the mixed fleet (usa 10, gbr 11, aus 18): every
// result is compared with a direct query of each owner, and a tap in front of
// each region (the links run without TLS here, so the tap reads them) shows
// which personal values left it.
const REGIONS = ['usa', 'gbr', 'aus'] as const;
type Region = (typeof REGIONS)[number];
const PER_REGION = 40;
const APP_PASSWORD = randomUUID();

interface Person {
  uuid: string;
  region: Region;
  name: string;
  note: string;
}

let fleet: Fleet;
const taps: Partial<Record<Region, CapturingProxy>> = {};
const people: Person[] = [];

test.before(async () => {
  const ports: Record<string, number> = {};
  for (const r of REGIONS) {
    ports[r] = await freePort();
    taps[r] = await startCapturingProxy(ports[r]);
  }
  fleet = await startFleet({
    regions: MIXED,
    ports,
    fdwPorts: Object.fromEntries(REGIONS.map((r) => [r, taps[r]!.port])),
    fdw: Object.fromEntries(REGIONS.map((r) => [r, 'sslmode: disable'])),
    extra: 'app_roles: [app]',
    // a key the regions print differently (their TimeZone): get_many matches
    // each owner's answer by the caller's own text of the key
    entities: `${SEED_ENTITY}
  - name: visit
    schema: shared
    key: { name: at, type: timestamptz }
    mirrored:
      - { name: place, type: text }
    resident:
      - { name: who, type: text }
`,
    migrate: false,
    unsafeFast: true,
  });
  for (const r of REGIONS) await fleet.query(r, `CREATE ROLE app LOGIN PASSWORD '${APP_PASSWORD}'`);
  const error = (await fleet.migrate({})).find((m) => m.error)?.error;
  if (error) throw error;
  for (const region of REGIONS) {
    for (let i = 0; i < PER_REGION; i++) {
      const uuid = randomUUID();
      people.push({ uuid, region, name: `Person ${region} ${i} ${uuid.slice(0, 8)}`, note: i % 3 === 0 ? 'vip' : `n${i}` });
    }
  }
  await fleet.query('usa', 'SELECT count(*) FROM shared.upsert_identity_many($1)', [JSON.stringify(people)]);
});
test.after.always(async () => {
  await fleet?.stop();
  await Promise.all(Object.values(taps).map((t) => t.close()));
});

/** A person as their owner stores them, read directly in the owner. */
async function direct(person: Person) {
  const [row] = await fleet.query(
    person.region,
    `SELECT m.uuid, m.region, d.name, m.note, m.created_on FROM shared.identity m JOIN "${person.region}".identity_details d USING (uuid) WHERE uuid = $1`,
    [person.uuid],
  );
  return row;
}

/** What each region's tap saw while `work` ran: the bytes both ways. */
async function tapped<T>(work: () => Promise<T>): Promise<{ result: T; seen: Record<Region, string> }> {
  const before = Object.fromEntries(REGIONS.map((r) => [r, taps[r]!.captured().length]));
  const result = await work();
  const seen = Object.fromEntries(REGIONS.map((r) => [r, taps[r]!.captured().subarray(before[r]).toString('latin1')])) as Record<
    Region,
    string
  >;
  return { result, seen };
}

/** The names of `region`'s people that crossed its tap. */
const namesSeen = (seen: Record<Region, string>, region: Region) =>
  people
    .filter((p) => p.region === region && seen[region].includes(p.name))
    .map((p) => p.name)
    .sort();

async function sqlError(region: string, sql: string, params: unknown[] = []): Promise<{ code: string; message: string }> {
  try {
    await fleet.query(region, sql, params);
  } catch (error) {
    return { code: (error as { code: string }).code, message: (error as Error).message };
  }
  throw new Error(`expected ${sql} to fail in ${region}`);
}

for (const caller of REGIONS) {
  test.serial(
    `get_identity_many from ${caller}: every owner's rows as it stores them, in the order given, only the asked rows travel`,
    async (t) => {
      const asked = REGIONS.flatMap((r) => people.filter((p) => p.region === r).slice(5, 15));
      const keys = [randomUUID(), ...asked.map((p) => p.uuid).reverse(), asked[0]!.uuid];
      const { result, seen } = await tapped(() => fleet.query(caller, 'SELECT * FROM shared.get_identity_many($1::uuid[])', [keys]));
      const expected = await Promise.all([...asked].reverse().map(direct));
      t.deepEqual(result, expected);
      for (const owner of REGIONS) {
        if (owner === caller) continue;
        t.deepEqual(
          namesSeen(seen, owner),
          asked
            .filter((p) => p.region === owner)
            .map((p) => p.name)
            .sort(),
          `${owner} sent only the names asked`,
        );
      }
    },
  );

  test.serial(`count_identity_by_region from ${caller} equals each owner's own count, and no name travels`, async (t) => {
    const vip = people.find((p) => p.region === 'gbr')!;
    const filters: [object, (p: Person) => boolean][] = [
      [{}, () => true],
      [{ note: 'vip' }, (p) => p.note === 'vip'],
      [{ note: { '<>': 'vip' } }, (p) => p.note !== 'vip'],
      [{ name: vip.name }, (p) => p.name === vip.name],
      [{ region: 'aus' }, (p) => p.region === 'aus'],
      [{ note: null }, () => false],
      [{ created_on: { '>=': '2000-01-01T00:00:00Z', '<': '3000-01-01' } }, () => true],
    ];
    for (const [filter, match] of filters) {
      const { result, seen } = await tapped(() =>
        fleet.query(caller, 'SELECT region, count FROM shared.count_identity_by_region($1)', [JSON.stringify(filter)]),
      );
      const owners = await Promise.all(
        REGIONS.map(async (r) => {
          const [row] = await fleet.query<{ count: string }>(r, `SELECT count(*) FROM "${r}".identity_details`);
          return { region: r, all: Number(row!.count) };
        }),
      );
      t.deepEqual(
        result,
        [...REGIONS].sort().map((r) => ({ region: r, count: String(people.filter((p) => p.region === r && match(p)).length) })),
        JSON.stringify(filter),
      );
      t.true(
        owners.every((o) => o.all >= PER_REGION),
        'the owners hold their people',
      );
      for (const owner of REGIONS)
        t.deepEqual(namesSeen(seen, owner).length, 'name' in filter && owner === 'gbr' && caller !== 'gbr' ? 1 : 0, owner);
    }
  });

  test.serial(`find_identity from ${caller}: pages of a mirrored filter with details, only the page's rows travel`, async (t) => {
    const matching = people.filter((p) => p.note === 'vip').sort((a, b) => (a.uuid < b.uuid ? -1 : 1));
    const got: Record<string, unknown>[] = [];
    let after: string | null = null;
    for (;;) {
      const { result, seen } = await tapped(() =>
        fleet.query(caller, 'SELECT * FROM shared.find_identity($1, 7, $2)', [JSON.stringify({ note: 'vip' }), after]),
      );
      const page = result;
      for (const owner of REGIONS) {
        if (owner === caller) continue;
        const onPage = page.filter((r) => r.region === owner).map((r) => r.name as string);
        t.deepEqual(namesSeen(seen, owner), onPage.sort(), `${owner} sent the page's names only`);
      }
      got.push(...page);
      if (page.length < 7) break;
      after = page[page.length - 1]!.uuid as string;
    }
    t.deepEqual(got, await Promise.all(matching.map(direct)));
    const [gbrOnly] = await fleet.query(caller, 'SELECT count(*) FROM shared.find_identity($1, 1000)', [
      JSON.stringify({ region: 'gbr', note: { '>=': 'n' } }),
    ]);
    t.is(Number(gbrOnly!.count), people.filter((p) => p.region === 'gbr' && p.note >= 'n').length);
  });
}

test.serial(
  'get_visit_many: a timestamptz key read by owners in other time zones, each row from the owner the directory names',
  async (t) => {
    await fleet.query('gbr', "ALTER ROLE residency_link SET timezone = 'Asia/Tokyo'");
    await fleet.query('aus', "ALTER ROLE residency_link SET timezone = 'America/Los_Angeles'");
    const visits = REGIONS.map((region, i) => ({
      at: `2024-03-0${i + 1}T10:20:30.123456Z`,
      region,
      place: `p${i}`,
      who: `Visitor ${region}`,
    }));
    await fleet.query('usa', 'SELECT count(*) FROM shared.upsert_visit_many($1)', [JSON.stringify(visits)]);
    // a stray copy of the aus visit in gbr's leaf: the directory names aus, so gbr is not asked for it
    await fleet.query('gbr', "INSERT INTO gbr.visit_details (at, region, who) VALUES ($1, 'gbr', 'Stray copy')", [visits[2]!.at]);
    for (const caller of REGIONS) {
      const client = await fleet.client(caller);
      try {
        await client.query(`SET timezone = 'Europe/Berlin'`);
        const { rows } = await client.query<{ at: Date; region: string; who: string }>(
          'SELECT at, region, who FROM shared.get_visit_many($1::timestamptz[])',
          [[...visits].reverse().map((v) => v.at)],
        );
        t.deepEqual(
          rows.map((r) => [r.at.toISOString(), r.region, r.who]),
          [...visits].reverse().map((v) => [v.at.replace('123456Z', '123Z'), v.region, v.who]),
          caller,
        );
      } finally {
        await client.end();
      }
    }
    for (const r of ['gbr', 'aus']) await fleet.query(r, 'ALTER ROLE residency_link RESET timezone');
  },
);

test.serial('count_identity_by_region on mirrored columns only counts in the local directory: no region is asked', async (t) => {
  const named = people.find((p) => p.region === 'aus' && p.note === 'vip')!;
  for (const caller of REGIONS) {
    const mirrored = { note: 'vip', created_on: { '>=': '2000-01-01T00:00:00Z' } };
    const { result, seen } = await tapped(() =>
      fleet.query(caller, 'SELECT region, count FROM shared.count_identity_by_region($1)', [JSON.stringify(mirrored)]),
    );
    t.deepEqual(
      result,
      [...REGIONS].sort().map((r) => ({ region: r, count: String(people.filter((p) => p.region === r && p.note === 'vip').length) })),
      caller,
    );
    for (const owner of REGIONS) if (owner !== caller) t.is(seen[owner].length, 0, `${owner} was not asked by ${caller}`);
    // a personal column beside it: each owner counts, its count only comes back
    const mixed = await tapped(() =>
      fleet.query(caller, 'SELECT region, count FROM shared.count_identity_by_region($1)', [
        JSON.stringify({ note: 'vip', name: named.name }),
      ]),
    );
    t.deepEqual(
      mixed.result,
      [...REGIONS].sort().map((r) => ({ region: r, count: r === 'aus' ? '1' : '0' })),
    );
    for (const owner of REGIONS) if (owner !== caller) t.true(mixed.seen[owner].length > 0, `${owner} was asked by ${caller}`);
  }
});

test.serial('a read remembers in its session how long each region took to answer; a value set by hand does not break it', async (t) => {
  const client = await fleet.client('aus');
  try {
    const asked = REGIONS.flatMap((r) => people.filter((p) => p.region === r).slice(0, 3));
    const read = async () =>
      (await client.query<{ name: string }>('SELECT name FROM shared.get_identity_many($1::uuid[])', [asked.map((p) => p.uuid)])).rows.map(
        (r) => r.name,
      );
    const names = asked.map((p) => p.name);
    for (let i = 0; i < 3; i++) t.deepEqual(await read(), names);
    const [row] = (await client.query<{ memory: string }>("SELECT current_setting('residency.arrivals') AS memory")).rows;
    const memory = JSON.parse(row!.memory) as Record<string, [number, number]>;
    t.deepEqual(Object.keys(memory).sort(), ['gbr SELECT COALESCE(pg_catal', 'usa SELECT COALESCE(pg_catal']);
    for (const [key, [ms, spread]] of Object.entries(memory)) t.true(ms > 0 && ms < 5000 && spread >= 0, `${key}: ${ms} ${spread}`);
    for (const value of [
      'garbage',
      '[1, 2]',
      '{"gbr SELECT COALESCE(pg_catal": [1e400, 0], "usa SELECT COALESCE(pg_catal": ["x", -1]}',
      '{"gbr SELECT COALESCE(pg_catal": [0.1, 0], "usa SELECT COALESCE(pg_catal": [99999, 0]}',
    ]) {
      await client.query("SELECT set_config('residency.arrivals', $1, false), set_config('residency.read_sent', $1, false)", [value]);
      t.deepEqual(await read(), names, value);
      t.deepEqual(
        (await client.query('SELECT region, count FROM shared.count_identity_by_region()')).rows.map((r: { count: string }) =>
          Number(r.count),
        ),
        [PER_REGION, PER_REGION, PER_REGION],
        value,
      );
    }
  } finally {
    await client.end();
  }
});

test.serial('bad filters are refused with the field named, never the value; values are literals, not SQL', async (t) => {
  const cases: [string, object | string, string, RegExp][] = [
    ['count', { nickname: 'x' }, 'RS008', /unknown or unfilterable column "nickname"/],
    ['find', { name: 'Ann' }, 'RS008', /personal column "name"/],
    ['count', { 'note" IS NULL OR true --': 'x' }, 'RS008', /unknown or unfilterable column/],
    ['count', { note: { LIKE: 'x' } }, 'RS009', /unknown operator "LIKE"/],
    ['count', { note: { '< 0 OR true; --': 'x' } }, 'RS009', /unknown operator/],
    ['count', { created_on: 'Secret Value 42' }, 'RS009', /"created_on" does not hold a valid timestamp with time zone/],
    ['find', { note: ['a'] }, 'RS009', /holds a JSON array/],
    ['find', { note: { '<': null } }, 'RS009', /only = \(IS NULL\)/],
    ['count', '[1]', 'RS009', /must be a JSON object/],
  ];
  for (const [fn, filter, code, message] of cases) {
    const sql = fn === 'count' ? 'SELECT * FROM shared.count_identity_by_region($1)' : 'SELECT * FROM shared.find_identity($1)';
    const error = await sqlError('usa', sql, [typeof filter === 'string' ? filter : JSON.stringify(filter)]);
    t.is(error.code, code, JSON.stringify(filter));
    t.regex(error.message, message);
    t.notRegex(error.message, /Secret Value/);
  }
  const [quoted] = await fleet.query('gbr', 'SELECT sum(count) AS n FROM shared.count_identity_by_region($1)', [
    JSON.stringify({ note: "vip' OR '1'='1" }),
  ]);
  t.is(Number(quoted!.n), 0);
  t.is((await sqlError('aus', 'SELECT * FROM shared.find_identity($1, 0)', ['{}'])).code, '22023');
  t.deepEqual(await fleet.query('aus', 'SELECT * FROM shared.get_identity_many($1::uuid[])', [[]]), []);
  t.deepEqual(await fleet.query('aus', 'SELECT * FROM shared.get_identity_many(NULL)'), []);
});

test.serial(
  'an app role may call the reads (EXECUTE, as the other API functions), not dblink nor the helpers that build SQL',
  async (t) => {
    const person = people.find((p) => p.region === 'aus')!;
    const app = new pg.Client({ host: '127.0.0.1', port: fleet.ports.usa, user: 'app', password: APP_PASSWORD, database: 'residency' });
    await app.connect();
    try {
      t.deepEqual((await app.query('SELECT name FROM shared.get_identity_many($1::uuid[])', [[person.uuid]])).rows, [
        { name: person.name },
      ]);
      const counts = (await app.query('SELECT region, count FROM shared.count_identity_by_region()')).rows;
      t.is(counts.length, 3);
      t.is((await app.query(`SELECT * FROM shared.find_identity('{"region": "aus"}', 5)`)).rows.length, 5);
      for (const sql of [
        'SELECT residency_dblink.dblink_get_connections()',
        `SELECT * FROM residency.get_many(NULL::shared.identity_row, '[]')`,
        `SELECT * FROM residency.read_wave('{}', 'SELECT 1', 'x')`,
        `SELECT * FROM residency.read_send('{}', 'x')`,
        `SELECT residency.read_collect('{}', '{}', 'x', true)`,
        `SELECT residency.find_keys(NULL::shared.identity_row, '{}', 5, NULL)`,
      ]) {
        const denied = await app.query(sql).then(
          () => 'allowed',
          (e: { code: string }) => e.code,
        );
        t.is(denied, '42501', sql);
      }
    } finally {
      await app.end();
    }
  },
);

test.serial('a connection broken by a restart is reopened by the next read', async (t) => {
  const client = await fleet.client('usa');
  const person = people.find((p) => p.region === 'gbr')!;
  const read = () => client.query('SELECT name FROM shared.get_identity_many($1::uuid[])', [[person.uuid]]);
  t.deepEqual((await read()).rows, [{ name: person.name }]);
  await fleet.stopRegion('gbr');
  const down = await read().then(
    () => ({ code: 'none', message: '' }),
    (e: { code: string; message: string }) => e,
  );
  t.is(down.code, 'RS011');
  t.regex(down.message, /region "gbr" is unreachable/);
  await fleet.startRegion('gbr');
  t.deepEqual((await read()).rows, [{ name: person.name }]);
  await client.end();
});

// Issue 21: a read waits for its answers as the writes do (dblink_is_busy between
// short sleeps), so a region whose server is stopped (SIGSTOP: connected, never
// answering) ends a read at statement_timeout (57014) or at the link timeout
// (RS011), on PostgreSQL 10 too, where a bare dblink wait ignores both.
for (const caller of ['usa', 'aus'] as const) {
  test.serial(
    `with gbr stopped, a read from ${caller} ends at statement_timeout or the link timeout, and the next read after it is back works`,
    async (t) => {
      const client = await fleet.client(caller);
      const person = people.find((p) => p.region === 'gbr')!;
      const mine = people.find((p) => p.region === caller)!;
      const read = () => client.query('SELECT name FROM shared.get_identity_many($1::uuid[])', [[person.uuid, mine.uuid]]);
      const failure = async (work: () => Promise<unknown>) => {
        const started = performance.now();
        const code = await work().then(
          () => 'none',
          (e: { code: string; message: string }) => `${e.code} ${e.message}`,
        );
        return { code, took: performance.now() - started };
      };
      const frozen = async (work: () => Promise<void>) => {
        // a warm session: its links are open before the region stops
        t.deepEqual((await read()).rows, [{ name: person.name }, { name: mine.name }]);
        const thaw = freezeRegion(fleet, 'gbr');
        try {
          await work();
        } finally {
          thaw();
        }
      };
      // the link timeout (twice lock_timeout and a second) before statement_timeout
      await frozen(async () => {
        await client.query("SET statement_timeout = '20s'; SET lock_timeout = '200ms'");
        const byLink = await failure(read);
        t.regex(byLink.code, /^RS011 region "gbr" did not answer/);
        t.true(byLink.took < 3000, `ended in ${Math.round(byLink.took)} ms: ${byLink.code}`);
      });
      // statement_timeout before the link timeout
      await frozen(async () => {
        await client.query("SET statement_timeout = '2s'; SET lock_timeout = '5s'");
        const byStatement = await failure(read);
        t.regex(byStatement.code, /^57014 /);
        t.true(byStatement.took < 3000, `get_identity_many ended in ${Math.round(byStatement.took)} ms: ${byStatement.code}`);
        // (its connection, left busy, is dropped; reconnecting to the stopped region ends at connect_timeout or statement_timeout)
        const counted = await failure(() => client.query('SELECT * FROM shared.count_identity_by_region()'));
        t.regex(counted.code, /^(57014|RS011) /);
        t.true(counted.took < 4500, `count_identity_by_region ended in ${Math.round(counted.took)} ms: ${counted.code}`);
      });
      await client.query('RESET statement_timeout; RESET lock_timeout');
      t.deepEqual((await read()).rows, [{ name: person.name }, { name: mine.name }]);
      await client.end();
    },
  );
}
