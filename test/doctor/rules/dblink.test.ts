import test from 'ava';
import { dblink } from '../../../src/doctor/rules/dblink.js';
import { input, readySnapshot } from '../doctorFixture.js';

const ready = readySnapshot();
const without = ready.extensions.filter((e) => e.name !== 'dblink');

test('dblink not created, migrator not a superuser: the admin contract for dblink', (t) => {
  const [f] = dblink(input(readySnapshot({ extensions: without, dblinkSchema: null, dblinkFunctions: [] })));
  t.is(f?.id, 'dblink-missing');
  t.is(
    f?.fix,
    [
      'CREATE SCHEMA IF NOT EXISTS "residency_dblink";',
      'CREATE EXTENSION IF NOT EXISTS dblink SCHEMA "residency_dblink";',
      'REVOKE ALL ON SCHEMA "residency_dblink" FROM PUBLIC;',
      'REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA "residency_dblink" FROM PUBLIC;',
      'GRANT USAGE ON SCHEMA "residency_dblink" TO "migrator";',
      'GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA "residency_dblink" TO "migrator";',
    ].join('\n'),
  );
  t.deepEqual(dblink(input(readySnapshot({ superuser: true, extensions: without, dblinkSchema: null, dblinkFunctions: [] }))), []);
});

test('dblink in public, executable by PUBLIC (issue 17, finding 2): moved, and PUBLIC revoked', (t) => {
  const findings = dblink(
    input(
      readySnapshot({
        extensions: [...without, { name: 'dblink', schema: 'public' }],
        dblinkSchema: { name: 'public', usage: true, publicUsage: true },
        dblinkFunctions: [{ signature: 'dblink_connect(text,text)', execute: true, publicExecute: true }],
      }),
    ),
  );
  t.deepEqual(
    findings.map((f) => f.id),
    ['dblink-schema', 'dblink-public'],
  );
  t.regex(findings[0]!.detail, /function residency_dblink\.dblink_get_connections\(\) does not exist/);
  t.true(findings[0]!.fix.includes('ALTER EXTENSION dblink SET SCHEMA "residency_dblink";'));
  t.is(
    findings[1]!.detail,
    "PUBLIC may execute 1 dblink function(s) (e.g. dblink_connect(text,text)): any role could run SQL on a session's open link as the link role",
  );
  t.true(findings[1]!.fix.includes('REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA "residency_dblink" FROM PUBLIC;'));
  t.false(findings[1]!.fix.includes('SCHEMA "public"'));
});

test("in residency_dblink with PUBLIC USAGE on the schema: revoke; without the migrator's rights: grant", (t) => {
  const [pub] = dblink(input(readySnapshot({ dblinkSchema: { name: 'residency_dblink', usage: true, publicUsage: true } })));
  t.is(pub?.id, 'dblink-public');
  t.is(
    pub?.fix,
    'REVOKE ALL ON SCHEMA "residency_dblink" FROM PUBLIC;\nREVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA "residency_dblink" FROM PUBLIC;',
  );
  const [mig] = dblink(
    input(readySnapshot({ dblinkFunctions: [{ signature: 'residency_dblink.dblink(text)', execute: false, publicExecute: false }] })),
  );
  t.is(mig?.id, 'dblink-migrator');
  t.regex(mig!.detail, /may not execute 1 dblink function\(s\) \(e\.g\. residency_dblink\.dblink\(text\)\)/);
  t.is(
    mig?.fix,
    'GRANT USAGE ON SCHEMA "residency_dblink" TO "migrator";\nGRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA "residency_dblink" TO "migrator";',
  );
  t.deepEqual(dblink(input(ready)), []);
});
