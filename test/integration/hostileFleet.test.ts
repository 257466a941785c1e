import test from 'ava';
import { randomUUID } from 'node:crypto';
import { ident, qualified } from '../../src/sql/quote.js';
import { startFleet, type Fleet } from '../helpers/fleet.js';

// Hostile names on real servers (issue 13, issue 11): regions `we"ird`, `a.b`
// and `Upper Case`, and an entity whose names hold quotes, spaces, dots and
// `%` (a format() placeholder if it were not doubled). The functions build
// another region's table names at run time from the registry.
const REGIONS = ['we"ird', 'a.b', 'Upper Case'] as const;
const SCHEMA = 'My Schema';
const ENTITY = 'Odd "Entity"';
const ENTITY_YAML = `
  - name: 'Odd "Entity"'
    schema: My Schema
    key: { name: 'Key "Col"', type: text }
    region: { name: Home Region }
    mirrored:
      - { name: "it's", type: text, default: "'it''s'" }
      - { name: "50%I off", type: text, default: "'100%s'" }
    resident:
      - { name: e.mail, type: text }
      - { name: "p%1$L", type: text, default: "'x%L'" }
`;
let fleet: Fleet;
test.before(async () => {
  fleet = await startFleet({
    regions: [
      { name: 'we"ird', postgres: 11 },
      { name: 'a.b', postgres: 18 },
      { name: 'Upper Case', postgres: 10 },
    ],
    entities: ENTITY_YAML,
  });
});
test.after.always(async () => {
  await fleet?.stop();
});

const fn = (name: string) => qualified(SCHEMA, name);
const leaf = (region: string) => qualified(region, `${ENTITY}_details`);
const KEY = ident('Key "Col"');
const HOME = ident('Home Region');

/** What each region itself stores of a key: its directory's owner and its leaf's personal values. */
async function whereIs(key: string) {
  const out: Record<string, string[]> = {};
  for (const region of REGIONS) {
    const dir = await fleet.query(region, `SELECT ${HOME} AS home, "50%I off" AS pct FROM ${qualified(SCHEMA, ENTITY)} WHERE ${KEY} = $1`, [
      key,
    ]);
    const own = await fleet.query(region, `SELECT "e.mail" AS mail, "p%1$L" AS p FROM ONLY ${leaf(region)} WHERE ${KEY} = $1`, [key]);
    out[region] = [...dir.map((r) => `dir ${r.home} ${r.pct}`), ...own.map((r) => `leaf ${r.mail} ${r.p}`)];
  }
  return out;
}
const only = (owner: string, dir: string, personal: string) =>
  Object.fromEntries(REGIONS.map((r) => [r, r === owner ? [`dir ${owner} ${dir}`, `leaf ${personal}`] : [`dir ${owner} ${dir}`]]));

test.serial('writes from every region route to the owner named by a hostile region name', async (t) => {
  for (const caller of REGIONS) {
    for (const owner of REGIONS) {
      const key = `k ${randomUUID()}`;
      // (key, resident..., region, mirrored...): the mirrored columns keep their defaults
      const [created] = await fleet.query(caller, `SELECT * FROM ${fn('upsert_Odd "Entity"')}($1, $2, NULL, $3)`, [key, 'a@b', owner]);
      t.deepEqual(created, { 'Key "Col"': key, created: true, owned_here: caller === owner });
      t.deepEqual(await whereIs(key), only(owner, '100%s', 'a@b x%L'), `${caller} -> ${owner}`);
      // an update through the one-row path, then the set-based one
      await fleet.query(caller, `SELECT ${fn('upsert_Odd "Entity"')}($1, $2, $3, $4, $5, $6)`, [key, 'c@d', 'p2', owner, 'i', '7%']);
      t.deepEqual(await whereIs(key), only(owner, '7%', 'c@d p2'), `${caller} -> ${owner}, updated`);
    }
  }
  const rows = REGIONS.flatMap((owner, i) =>
    Array.from({ length: 4 }, (_, j) => ({ 'Key "Col"': `m${i}.${j}`, 'Home Region': owner, 'e.mail': `m${j}@${i}`, "it's": 'x' })),
  );
  const result = await fleet.query('a.b', `SELECT * FROM ${fn('upsert_Odd "Entity"_many')}($1)`, [JSON.stringify(rows)]);
  t.is(result.length, 12);
  for (const region of REGIONS) {
    const own = await fleet.query(
      region,
      `SELECT ${HOME} AS home, count(*)::int AS n FROM ONLY ${leaf(region)} WHERE ${KEY} LIKE 'm%' GROUP BY 1`,
    );
    t.deepEqual(own, [{ home: region, n: 4 }], `${region} holds its own 4 rows only`);
    const [dir] = await fleet.query(region, `SELECT count(*)::int AS n FROM ${qualified(SCHEMA, ENTITY)} WHERE ${KEY} LIKE 'm%'`);
    t.is(dir?.n, 12, `${region} directory`);
  }
});

test.serial('get, rehome and erase with hostile names', async (t) => {
  const key = `k ${randomUUID()}`;
  await fleet.query('Upper Case', `SELECT ${fn('upsert_Odd "Entity"')}($1, $2, $3, $4)`, [key, 'r@h', 'p', 'we"ird']);
  for (const caller of REGIONS) {
    const [got] = await fleet.query(caller, `SELECT "e.mail" AS mail, ${HOME} AS home FROM ${fn('get_Odd "Entity"')}($1)`, [key]);
    t.deepEqual(got, { mail: 'r@h', home: 'we"ird' }, caller);
  }
  t.deepEqual((await fleet.query('a.b', `SELECT ${fn('rehome_Odd "Entity"')}($1, 'Upper Case') AS moved`, [key]))[0], { moved: true });
  t.deepEqual(await whereIs(key), only('Upper Case', '100%s', 'r@h p'));
  t.deepEqual((await fleet.query('we"ird', `SELECT ${fn('rehome_Odd "Entity"')}($1, 'a.b') AS moved`, [key]))[0], { moved: true });
  t.deepEqual(await whereIs(key), only('a.b', '100%s', 'r@h p'));
  const unknown = await fleet.query('a.b', `SELECT ${fn('rehome_Odd "Entity"')}($1, 'a')`, [key]).then(
    () => undefined,
    (e: { code: string; message: string }) => ({ code: e.code, message: e.message }),
  );
  t.deepEqual(unknown, { code: 'RS001', message: 'unknown region "a"; regions.yaml defines "we"ird", "a.b", "Upper Case"' });
  t.deepEqual((await fleet.query('Upper Case', `SELECT ${fn('erase_Odd "Entity"')}($1) AS erased`, [key]))[0], { erased: true });
  t.deepEqual(await whereIs(key), { 'we"ird': [], 'a.b': [], 'Upper Case': [] });
});

test.serial('the reads across regions (issue 21) with hostile names: get many, count by region, find', async (t) => {
  const keys = REGIONS.map((owner, i) => `r%s ${i} '${randomUUID()}`);
  for (const [i, owner] of REGIONS.entries())
    await fleet.query('a.b', `SELECT ${fn('upsert_Odd "Entity"')}($1, $2, $3, $4, $5, $6)`, [
      keys[i],
      `m${i}@x`,
      `p%${i}`,
      owner,
      "i'%",
      '5%',
    ]);
  for (const caller of REGIONS) {
    const got = await fleet.query(
      caller,
      `SELECT ${KEY} AS k, ${HOME} AS home, "e.mail" AS mail, "p%1$L" AS p FROM ${fn('get_Odd "Entity"_many')}($1)`,
      [[...keys].reverse()],
    );
    t.deepEqual(
      got,
      [...REGIONS.entries()].reverse().map(([i, owner]) => ({ k: keys[i], home: owner, mail: `m${i}@x`, p: `p%${i}` })),
      caller,
    );
    const counts = await fleet.query(caller, `SELECT region, count::int AS n FROM ${fn('count_Odd "Entity"_by_region')}($1)`, [
      JSON.stringify({ "it's": "i'%", 'p%1$L': { '<>': null } }),
    ]);
    t.deepEqual(
      counts,
      [...REGIONS].sort().map((r) => ({ region: r, n: 1 })),
      caller,
    );
    const page = await fleet.query(caller, `SELECT ${KEY} AS k, "e.mail" AS mail FROM ${fn('find_Odd "Entity"')}($1, 2)`, [
      JSON.stringify({ '50%I off': '5%' }),
    ]);
    t.deepEqual(
      page,
      [...keys]
        .sort()
        .slice(0, 2)
        .map((k) => ({ k, mail: `m${keys.indexOf(k)}@x` })),
      caller,
    );
  }
});
