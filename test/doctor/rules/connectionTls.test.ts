import test from 'ava';
import { connectionTls } from '../../../src/doctor/rules/connectionTls.js';
import { input, readySnapshot } from '../doctorFixture.js';

test('a remote connection without TLS is a warning naming the host and the url fix', (t) => {
  const [f, ...rest] = connectionTls(input(readySnapshot({ ssl: false })));
  t.deepEqual(rest, []);
  t.is(f?.id, 'connection-without-tls');
  t.is(f?.level, 'warning');
  t.regex(f!.detail, /db\.gbr\.example is not TLS/);
  t.is(f?.fix, `add ?sslmode=verify-full&sslrootcert=<the CA file> to region "gbr"'s url in regions.yaml (and ssl = on on the server)`);
});

test('TLS in use, or a connection that stays on this machine: nothing', (t) => {
  t.deepEqual(connectionTls(input(readySnapshot())), []);
  t.deepEqual(connectionTls(input(readySnapshot({ ssl: false }), 'aus')), []);
});
