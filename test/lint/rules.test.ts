import test from 'ava';
import { readFileSync } from 'node:fs';
import { formatGithub, formatText } from '../../src/lint/formatFindings.js';
import { LINT_RULES } from '../../src/lint/lintRules.js';
import { lintSql, position } from '../../src/lint/lintSql.js';
import { fixtureConfig } from '../helpers/fixtures.js';

// Each rule on its own fixture (test/fixtures/lint/<id>.sql): the statements
// above the "quiet" comment must fire, the ones below must not. The seed
// regions.yaml: entity shared.identity (key uuid, region column region,
// resident column name), regions usa, gbr, aus, link role residency_link.
const config = fixtureConfig('seed');
const fixture = (id: string) => {
  const path = `test/fixtures/lint/${id}.sql`;
  return { path, text: readFileSync(new URL(`../fixtures/lint/${id}.sql`, import.meta.url), 'utf8') };
};
const only = (id: string) => LINT_RULES.filter((r) => r.id === id);

const expected: Record<string, [line: number, column: number][]> = {
  RL001: [
    [2, 46],
    [3, 54],
    [4, 53],
    [5, 34],
  ],
  RL002: [
    [2, 43],
    [3, 39],
  ],
  RL003: [[2, 1]],
  RL004: [
    [2, 37],
    [3, 55],
    [4, 1],
    [5, 39],
  ],
  RL005: [
    [2, 1],
    [3, 1],
    [4, 1],
    [5, 1],
  ],
  RL006: [
    [2, 22],
    [3, 1],
  ],
  RL007: [
    [2, 18],
    [3, 49],
    [4, 51],
    [5, 15],
    [6, 22],
  ],
};

test('every rule has a fixture and a unique id', (t) => {
  t.deepEqual(
    LINT_RULES.map((r) => r.id),
    Object.keys(expected),
  );
});

for (const rule of LINT_RULES) {
  test(`${rule.id} fires on each statement of its fixture above "quiet", and only there`, async (t) => {
    const findings = await lintSql(config, [fixture(rule.id)], only(rule.id));
    t.deepEqual(
      findings.map((f) => [f.line, f.column]),
      expected[rule.id]!,
    );
    for (const f of findings) {
      t.is(f.level, rule.level);
      t.is(f.file, `test/fixtures/lint/${rule.id}.sql`);
      t.true(f.fix.length > 0);
    }
  });
}

test('messages name the object, the personal table and what it does; fixes name the generated API', async (t) => {
  const [view] = await lintSql(config, [fixture('RL001')], only('RL001'));
  t.is(
    view?.message,
    'view "people" selects personal column "name" of shared.identity_details: it hands the personal rows of every region (through its foreign partitions) to anyone who may read the view, outside the generated API',
  );
  t.regex(view!.fix, /shared\.get_identity\(key\)/);
  const [grant] = await lintSql(config, [fixture('RL005')], only('RL005'));
  t.is(grant?.message, 'grants usa.identity_details to "analyst": it reads personal rows outside the generated API');
  const [scan] = await lintSql(config, [fixture('RL007')], only('RL007'));
  t.is(
    scan?.fix,
    "filter the parent itself on the region (WHERE region = '<region>': partition pruning reads one region), or ask the owners: shared.get_identity_many(keys) for rows by key, shared.count_identity_by_region(filter) for counts, shared.find_identity(filter, page_size) for a page by mirrored columns (docs/guides/reading.md)",
  );
  const scans = await lintSql(config, [fixture('RL007')], only('RL007'));
  t.regex(
    scans[1]!.fix,
    /; for another aggregate per region, GROUP BY region with enable_partitionwise_aggregate = on \(PostgreSQL 11\+\) pushes the aggregate down to each region \(docs/,
  );
  t.is(scans[3]!.fix, 'shared.get_identity_many(keys): one query per owner of the keys, all at once (docs/guides/reading.md)');
  t.regex(scans[3]!.message, /list of keys \("uuid" = ANY or IN\) and no "region" condition/);
  t.regex(scans[4]!.message, /^aggregate on shared\.identity_details filtered on "region" without GROUP BY "region"/);
  t.regex(scans[4]!.fix, /^shared\.count_identity_by_region\(filter\) for counts/);
  const [fn] = await lintSql(config, [fixture('RL003')], only('RL003'));
  t.is(fn?.level, 'warning');
});

test('app roles may be granted personal tables; other roles may not', async (t) => {
  const withApp = fixtureConfig('fleet4');
  const text = `GRANT SELECT ON usa.identity_details TO ${withApp.appRoles.map((r) => `"${r.replaceAll('"', '""')}"`).join(', ')};`;
  t.true(withApp.appRoles.length > 0);
  t.deepEqual(await lintSql(withApp, [{ path: 'a.sql', text }], only('RL005')), []);
});

test('a file that does not parse is one RL000 error at the culprit', async (t) => {
  const findings = await lintSql(config, [{ path: 'bad.sql', text: 'SELECT 1;\nCREATE VIEW v AS SELEC name FROM t;\n' }]);
  t.deepEqual(
    findings.map((f) => [f.rule, f.level, f.line, f.column]),
    [['RL000', 'error', 2, 18]],
  );
  t.regex(findings[0]!.message, /^cannot parse the file as PostgreSQL: syntax error at or near "SELEC"/);
});

test('positions count lines and characters, not bytes', (t) => {
  const text = "-- é\nSELECT 'ü', name";
  t.deepEqual(position(text, Buffer.byteLength("-- é\nSELECT 'ü', ", 'utf8')), { line: 2, column: 13 });
});

test('text and GitHub formats', (t) => {
  const report = {
    ok: false,
    findings: [{ rule: 'RL005', level: 'error' as const, file: 'm/a,b.sql', line: 3, column: 1, message: 'grants x: 100%', fix: 'do y' }],
    notes: ['squawk is not installed'],
  };
  t.is(formatText(report), 'm/a,b.sql:3:1: error RL005 grants x: 100%\n  fix: do y\nnote: squawk is not installed\n1 error, 0 warnings\n');
  t.is(
    formatGithub(report),
    '::error file=m/a%2Cb.sql,line=3,col=1,title=RL005::grants x: 100%25. Fix: do y\n::notice::squawk is not installed\n',
  );
});
