import test from 'ava';
import { serverMajor } from '../../../src/doctor/rules/serverMajor.js';
import { input, readySnapshot } from '../doctorFixture.js';

test('a server whose major is not regions.yaml `postgres` is an error with the line to change', (t) => {
  const [f] = serverMajor(input(readySnapshot({ major: 16, version: '16.2' })));
  t.is(f?.id, 'server-major');
  t.is(f?.level, 'error');
  t.is(f?.detail, 'regions.yaml says postgres: 15, the server runs 16.2 (major 16); the migrations are generated for 15');
  t.is(f?.fix, 'set postgres: 16 for region "gbr" in regions.yaml, then run `pg-residency gen-migrations`');
  t.deepEqual(serverMajor(input(readySnapshot())), []);
});
