import test from 'ava';
import { createHash } from 'node:crypto';
import { adoptColumns, columnProblems } from '../../src/adopt/adoptColumns.js';
import { progressLine } from '../../src/adopt/adoptProgress.js';
import { bareQuery, rangeWhere, sourceCopySql } from '../../src/adopt/adoptSql.js';
import { copyValue } from '../../src/adopt/copyText.js';
import { rangeDiff } from '../../src/adopt/rangeDiff.js';
import { rowValue, rowValueBig, SetHash } from '../../src/adopt/setHash.js';
import { BUCKET_ROWS, rangeBuckets, SourceBatcher } from '../../src/adopt/sourceBatch.js';
import { parseConfig } from '../../src/config/parseConfig.js';

const config = parseConfig(
  `regions:
  - { name: usa, url: "postgres://u@h:1/usa", postgres: 10 }
  - { name: gbr, url: "postgres://u@h:2/gbr", postgres: 11 }
entities:
  - name: identity
    schema: shared
    key: { name: uuid, type: uuid }
    mirrored: [{ name: note, type: text }]
    resident: [{ name: name, type: text }]
  - name: Odd
    schema: we"ird
    key: { name: code, type: text }
    mirrored: []
    resident: [{ name: email, type: text }]
`,
  'regions.yaml',
  {},
);
const identity = config.entities[0]!;
const odd = config.entities[1]!;
const md5 = (s: string) => createHash('md5').update(s).digest('hex');

test('COPY text fields: \\N is NULL, escapes are undone', (t) => {
  t.is(copyValue('\\N'), null);
  t.is(copyValue('plain'), 'plain');
  t.is(copyValue('a\\tb\\nc\\\\d\\re'), 'a\tb\nc\\d\re');
  t.is(copyValue('\\x41\\101'), 'AA');
});

test('the source query is nested as it is, cast to the entity types, ordered by key (COLLATE "C" for a text key)', (t) => {
  t.is(bareQuery('SELECT 1 ;\n\n'), 'SELECT 1');
  t.is(
    sourceCopySql(identity, 'SELECT * FROM people;'),
    `COPY (SELECT s.*, md5(row(s."uuid", s."region", s."note")::text), md5(row(s."uuid", s."region", s."name")::text)
  FROM (SELECT q."uuid"::uuid AS "uuid", q."region"::text AS "region", q."note"::text AS "note", q."name"::text AS "name" FROM (
SELECT * FROM people
) q
  ORDER BY q."uuid"::uuid) s) TO STDOUT`,
  );
  t.regex(sourceCopySql(odd, 'SELECT 1'), /ORDER BY q\."code"::text COLLATE "C"\) s\) TO STDOUT$/);
  t.deepEqual(rangeWhere(odd, 'm', { lo: 'a', hi: null }), { where: 'm."code" COLLATE "C" > $1::text', params: ['a'] });
  t.deepEqual(rangeWhere(identity, 'm', { lo: null, hi: null }), { where: 'true', params: [] });
});

test('--changed-since: the column may be yielded besides the entity columns, never a personal one', (t) => {
  t.deepEqual(columnProblems(identity, ['uuid', 'region', 'note', 'name', 'updated_at'], 'updated_at'), []);
  t.deepEqual(columnProblems(identity, ['uuid', 'region', 'note', 'name'], 'note'), []);
  t.deepEqual(columnProblems(identity, ['uuid', 'region', 'note', 'name'], 'updated_at'), [
    'the query yields no column "updated_at", which --changed-since names (add it to the query\'s columns)',
  ]);
  t.deepEqual(columnProblems(identity, ['uuid', 'region', 'note', 'name'], 'name'), [
    '--changed-since names "name", a resident (personal) column of shared.identity: its largest value would be kept in every region; name a column that only tracks changes, such as updated_at',
  ]);
});

test('a query must yield exactly the entity columns', (t) => {
  t.deepEqual(columnProblems(identity, ['uuid', 'region', 'note', 'name']), []);
  t.deepEqual(columnProblems(identity, ['uuid', 'region', 'name', 'nmae', 'name']), [
    'the query yields no column "note" of shared.identity (name each as regions.yaml does, e.g. `SELECT id AS "uuid" ...`)',
    'the query yields "nmae", which shared.identity does not have; it has "uuid", "region", "note", "name"',
    'the query yields "name" more than once',
  ]);
});

const line = (key: string, region: string, note = 'n', name = 'x') =>
  [key, region, note, name, md5(`d${key}${note}`), md5(`l${key}${name}`)].join('\t');

test('ranges tile the key space: each ends at its last key, the next starts after it, the last is open; unplaced, duplicate and NULL keys are kept aside', (t) => {
  const b = new SourceBatcher(adoptColumns(identity), new Set(['usa', 'gbr']), 2);
  const out = [
    b.push(line('k1', 'usa')),
    b.push(line('k2', '\\N')),
    b.push(line('k2', 'usa')),
    b.push(line('k3', 'fra')),
    b.push(line('\\N', 'usa')),
    b.push(line('k4', 'gbr')),
    b.push(line('k5', 'gbr')),
  ].filter((x) => x !== undefined);
  const last = b.end();
  t.deepEqual(
    [...out, last].map((x) => [x.ordinal, x.range, x.rows.map((r) => `${r.key}@${r.owner}`), x.read]),
    [
      [0, { lo: null, hi: 'k2' }, ['k1@usa'], 2],
      [1, { lo: 'k2', hi: 'k4' }, ['k4@gbr'], 2],
      [2, { lo: 'k4', hi: null }, ['k5@gbr'], 1],
    ],
  );
  t.deepEqual(b.problems, {
    unplaced: [
      { key: 'k2', region: null },
      { key: 'k3', region: 'fra' },
    ],
    duplicates: ['k2'],
    nullKeys: 1,
    unplacedCount: 2,
    duplicateCount: 1,
  });
  // the range hash is count:sum of the rows' md5 first 60 bits, as a region's setHashSql computes it
  t.is(out[0]!.directoryHash, `1:${BigInt(`0x${md5('dk1n').slice(0, 15)}`)}`);
  t.deepEqual([...out[0]!.personalHash], [['usa', `1:${BigInt(`0x${md5('lk1x').slice(0, 15)}`)}`]]);
  t.is(new SourceBatcher(adoptColumns(identity), new Set(['usa']), 10).end().directoryHash, '0:0');
});

test('a range diff: rows to write, personal rows that moved away, keys the source no longer places', (t) => {
  const b = new SourceBatcher(adoptColumns(identity), new Set(['usa', 'gbr']), 100);
  for (const l of [line('a', 'usa'), line('b', 'gbr'), line('c', 'usa', 'new'), line('d', 'gbr')]) b.push(l);
  const batch = b.end();
  const d = rangeDiff(batch, 'usa', [
    { t: 'd', key: 'a', h: md5('dan') },
    { t: 'l', key: 'a', h: md5('lax') },
    { t: 'd', key: 'b', h: md5('dbn') },
    { t: 'l', key: 'b', h: md5('lbx') }, // b lives in gbr now
    { t: 'd', key: 'c', h: md5('dcold') },
    { t: 'd', key: 'z', h: md5('dzn') }, // gone from the source
    { t: 'l', key: 'z', h: md5('lzx') },
  ]);
  t.deepEqual(
    d.directory.map((r) => r.key),
    ['c', 'd'],
  );
  t.deepEqual(
    d.personal.map((r) => r.key),
    ['c'],
  );
  t.deepEqual(d.moved, ['b']);
  t.deepEqual(d.extraDirectory, ['z']);
  t.deepEqual(d.extraPersonal, ['z']);
});

test('progress: rows/s, and share and ETA once the total is known', (t) => {
  t.is(
    progressLine('shared.identity', { rows: 50_000, total: 200_000, elapsedMs: 2_000 }),
    'adopt shared.identity: 50,000 of 200,000 rows (25%), 25,000 rows/s, ETA 6 s',
  );
  t.is(
    progressLine('shared.identity', { rows: 1_500, total: undefined, elapsedMs: 1_000 }),
    'adopt shared.identity: 1,500 rows, 1,500 rows/s',
  );
});

const setHash = (hashes: string[]) => `${hashes.length}:${hashes.reduce((s, h) => s + BigInt(`0x${h.slice(0, 15)}`), 0n)}`;

test('set hashes: order-free count:sum, the same whatever the order', (t) => {
  const a = new SetHash();
  const b = new SetHash();
  const hs = ['d41d8cd98f00b204e9800998ecf8427e', 'ffffffffffffffffffffffffffffffff', '0123456789abcdef0123456789abcdef'];
  for (const h of hs) a.add(rowValue(h));
  for (const h of [...hs].reverse()) b.add(rowValue(h));
  t.is(a.toString(), b.toString());
  t.is(a.toString(), setHash(hs));
  t.is(new SetHash().toString(), '0:0');
  t.is(rowValueBig(rowValue('ffffffffffffffffffffffffffffffff')), 2n ** 60n - 1n);
  t.is(rowValueBig(rowValue('0123456789abcdef0123456789abcdef')), 0x0123456789abcden);
  // past the plain-number sums' flush: still exact
  const many = new SetHash();
  for (let i = 0; i < 2 ** 20 + 5; i++) many.add(rowValue('ffffffffffffffffffffffffffffffff'));
  t.is(many.toString(), `${2 ** 20 + 5}:${BigInt(2 ** 20 + 5) * (2n ** 60n - 1n)}`);
});

test('buckets of a range: BUCKET_ROWS placed rows each, thresholds the keys that start them, set hashes per bucket', (t) => {
  const b = new SourceBatcher(adoptColumns(identity), new Set(['usa', 'gbr']), 1000);
  const keys = Array.from({ length: BUCKET_ROWS * 2 + 3 }, (_, i) => `k${String(i).padStart(3, '0')}`);
  for (const [i, key] of keys.entries()) b.push(line(key, i % 2 === 0 ? 'usa' : 'gbr'));
  const batch = b.end();
  const usa = rangeBuckets(batch, 'usa');
  t.deepEqual(usa.thresholds, [keys[BUCKET_ROWS], keys[BUCKET_ROWS * 2]]);
  t.is(usa.directory.length, 3);
  t.is(usa.directory[2], setHash(keys.slice(BUCKET_ROWS * 2).map((k) => md5(`d${k}n`))));
  t.is(
    usa.personal.get(0),
    setHash(
      keys
        .slice(0, BUCKET_ROWS)
        .filter((_, i) => i % 2 === 0)
        .map((k) => md5(`l${k}x`)),
    ),
  );
  t.deepEqual(rangeBuckets(new SourceBatcher(adoptColumns(identity), new Set(['usa']), 10).end(), 'usa'), {
    thresholds: [],
    directory: [],
    personal: new Map(),
  });
});
