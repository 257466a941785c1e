import test from 'ava';
import { postgresFdw } from '../../../src/doctor/rules/postgresFdw.js';
import { input, readySnapshot } from '../doctorFixture.js';

const without = readySnapshot().extensions.filter((e) => e.name !== 'postgres_fdw');

test('postgres_fdw not created, migrator not a superuser: the admin creates it and grants USAGE', (t) => {
  const [f, ...rest] = postgresFdw(input(readySnapshot({ extensions: without, fdwUsage: null })));
  t.deepEqual(rest, []);
  t.is(f?.id, 'postgres-fdw-missing');
  t.is(f?.fix, 'CREATE EXTENSION IF NOT EXISTS postgres_fdw;\nGRANT USAGE ON FOREIGN DATA WRAPPER postgres_fdw TO "migrator";');
});

test('created without USAGE for the migrator: the grant', (t) => {
  const [f] = postgresFdw(input(readySnapshot({ fdwUsage: false })));
  t.is(f?.id, 'postgres-fdw-usage');
  t.is(f?.fix, 'GRANT USAGE ON FOREIGN DATA WRAPPER postgres_fdw TO "migrator";');
});

test('a superuser creates it itself, unless the server lacks its files; an unknown list says nothing', (t) => {
  t.deepEqual(postgresFdw(input(readySnapshot({ superuser: true, extensions: without, fdwUsage: null }))), []);
  const [f] = postgresFdw(input(readySnapshot({ superuser: true, extensions: without, fdwUsage: null, available: [] })));
  t.is(f?.id, 'postgres-fdw-unavailable');
  t.deepEqual(postgresFdw(input(readySnapshot({ superuser: true, extensions: without, fdwUsage: null, available: null }))), []);
});
