import test from 'ava';
import { extensions } from '../../../src/doctor/rules/extensions.js';
import { input, readySnapshot } from '../doctorFixture.js';

const without = readySnapshot().extensions.filter((e) => e.name !== 'uuid-ossp');

test('uuid-ossp on 10-12 for a migrator that is not a superuser: an admin creates it', (t) => {
  const [f] = extensions(input(readySnapshot({ major: 10, extensions: without, available: null }), 'usa'));
  t.is(f?.id, 'extension-missing');
  t.is(f?.fix, 'CREATE EXTENSION IF NOT EXISTS "uuid-ossp";');
  t.regex(f!.detail, /only a superuser may/);
});

test('13+: a trusted extension the database owner creates itself; an untrusted one, or no CREATE, needs the admin', (t) => {
  t.deepEqual(extensions(input(readySnapshot({ extensions: without }))), []);
  const untrusted = extensions(input(readySnapshot({ extensions: without, available: [{ name: 'uuid-ossp', trusted: false }] })));
  t.is(untrusted[0]?.id, 'extension-missing');
  const noCreate = extensions(input(readySnapshot({ extensions: without, ownsDatabase: false, createOnDatabase: false })));
  t.regex(noCreate[0]!.detail, /no CREATE on the database/);
});

test('not on the server at all: the package to install', (t) => {
  const [f] = extensions(input(readySnapshot({ superuser: true, extensions: without, available: [] })));
  t.is(f?.id, 'extension-unavailable');
  t.regex(f!.fix, /contrib package/);
});
