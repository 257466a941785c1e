import test from 'ava';
import { migratorRights } from '../../../src/doctor/rules/migratorRights.js';
import { input, readySnapshot } from '../doctorFixture.js';

test('a migrator without CREATEROLE, and without the database, gets the admin SQL for each', (t) => {
  const findings = migratorRights(
    input(readySnapshot({ createrole: false, ownsDatabase: false, createOnDatabase: false, databaseOwner: 'cloudadmin' })),
  );
  t.deepEqual(
    findings.map((f) => [f.id, f.level, f.fix]),
    [
      ['migrator-createrole', 'error', 'ALTER ROLE "migrator" CREATEROLE;'],
      ['migrator-database', 'error', 'ALTER DATABASE "residency" OWNER TO "migrator";'],
    ],
  );
  t.regex(findings[1]!.detail, /owned by "cloudadmin"/);
});

test('CREATE on the database is enough; a superuser needs nothing', (t) => {
  t.deepEqual(migratorRights(input(readySnapshot({ ownsDatabase: false, createOnDatabase: true }))), []);
  t.deepEqual(
    migratorRights(input(readySnapshot({ superuser: true, createrole: false, ownsDatabase: false, createOnDatabase: false }))),
    [],
  );
});
