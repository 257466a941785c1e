import test from 'ava';
import { pgbouncerBinary } from '../../src/cluster/devPooler.js';
import { queueWaitSeconds, renderAuthFile, renderPoolerHba, renderPoolerIni } from '../../src/cluster/poolerConfig.js';
import { durationMs } from '../../src/config/durationMs.js';
import { parseConfig } from '../../src/config/parseConfig.js';
import { ConfigError } from '../../src/errors.js';
import { serverConnectionOptions } from '../../src/migrate/serverBinding.js';
import { LINK_SCRAM_ITERATIONS, LINK_SECRET_MIN_LENGTH, linkVerifier, scramVerifier } from '../../src/migrate/scramVerifier.js';

const yaml = (usa: string, gbr = '', link = '') => `
${link}
regions:
  - { name: usa, url: "postgres://m@127.0.0.1:5432/residency", postgres: 15, fdw: { sslrootcert: /ca.crt }${usa} }
  - { name: gbr, url: "postgres://m@127.0.0.1:5433/residency", postgres: 15${gbr} }
entities:
  - name: identity
    key: { name: uuid, type: uuid }
    resident: [{ name: name, type: text }]
`;
const problems = (text: string) => {
  try {
    parseConfig(text, 'regions.yaml', {});
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems.map((p) => `${p.path}: ${p.message}`);
  }
};

test('pooler: defaults from the region (host, sslmode, sslrootcert), pool size 8, writes in flight twice the pool', (t) => {
  const config = parseConfig(yaml(', pooler: { port: 6432 }'), 'regions.yaml', {});
  t.deepEqual(config.regions[0]!.pooler, {
    host: '127.0.0.1',
    port: 6432,
    poolSize: 8,
    writesInFlight: 16,
    sslmode: 'verify-full',
    sslrootcert: '/ca.crt',
  });
  t.is(config.regions[1]!.pooler, undefined);
  const set = parseConfig(yaml(', pooler: { port: 6432, pool_size: 4, writes_in_flight: 5 }'), 'regions.yaml', {});
  t.is(set.regions[0]!.pooler?.writesInFlight, 5);
});

test('pooler: a bad port or pool size, a port a server or another pooler has, and two link passwords are refused', (t) => {
  t.deepEqual(problems(yaml(', pooler: { port: 70000, pool_size: 0 }')), [
    'regions[0].pooler.port: "70000" is not a TCP port',
    'regions[0].pooler.pool_size: 0 is not a pool size; use 1 to 1000 (default 8) server connections per region',
  ]);
  t.deepEqual(problems(yaml(', pooler: { port: 6432, writes_in_flight: 0 }')), [
    'regions[0].pooler.writes_in_flight: 0 is not a bound on writes in flight; use 1 to 10000 (default 2 x pool_size) writes this region coordinates at once',
  ]);
  t.deepEqual(problems(yaml(', pooler: { port: 5433 }')), [
    `regions[0].pooler.port: 127.0.0.1:5433 is where region "gbr"'s server listens; give the pooler a port of its own`,
  ]);
  t.deepEqual(problems(yaml(', pooler: { port: 6432 }', ', pooler: { port: 6432 }')), [
    'regions[1].pooler.port: the pooler 127.0.0.1:6432 is already defined at regions[0].pooler.port',
  ]);
  t.deepEqual(problems(yaml(', pooler: { port: 6432 }', ', fdw: { password_env: GBR_LINK }')), [
    'regions[0].pooler: a pooler logs in to every region as the link role with one password, but the regions reached by password use PG_RESIDENCY_LINK_PASSWORD, GBR_LINK; give them one fdw.password_env (or the link role a certificate, link.sslcert)',
  ]);
  t.deepEqual(problems(yaml(', pooler: { port: 6432, extra: 1 }')), [
    'regions[0].pooler: unknown key "extra"; see docs/reference/regions-yaml.md',
  ]);
});

test('a region with a pooler binds every server to it, database = the target region; without one, to the region', (t) => {
  const config = parseConfig(yaml(', pooler: { port: 6432 }'), 'regions.yaml', {});
  const [usa, gbr] = config.regions as [(typeof config.regions)[0], (typeof config.regions)[0]];
  t.deepEqual(serverConnectionOptions(gbr, usa), {
    host: '127.0.0.1',
    port: '6432',
    dbname: 'gbr',
    sslmode: 'verify-full',
    connect_timeout: '2',
    sslrootcert: '/ca.crt',
  });
  t.deepEqual(serverConnectionOptions(usa, gbr), {
    host: '127.0.0.1',
    port: '5432',
    dbname: 'residency',
    sslmode: 'verify-full',
    connect_timeout: '2',
    sslrootcert: '/ca.crt',
  });
  t.deepEqual(serverConnectionOptions(usa), serverConnectionOptions(usa, gbr));
});

test('the pooler files: transaction mode, a database per region with the pool and postgres_fdw settings, SCRAM or cert per region, no secret but the verifier', (t) => {
  const config = parseConfig(yaml(', pooler: { port: 6432, pool_size: 4 }'), 'regions.yaml', {});
  const usa = config.regions[0]!;
  const files = {
    authFile: '/s/usa/pooler/userlist.txt',
    hbaFile: '/s/usa/pooler/hba.conf',
    logFile: '/s/usa/pooler/pgbouncer.log',
    pidFile: '/s/usa/pooler/pgbouncer.pid',
    caFile: '/s/.tls/ca.crt',
    serverCert: { cert: '/s/.tls/usa.crt', key: '/s/.tls/usa.key' },
    linkCert: undefined,
  };
  const ini = renderPoolerIni(config, usa, files);
  t.regex(ini, /^pool_mode = transaction$/m);
  t.regex(
    ini,
    /^usa = host=127\.0\.0\.1 port=5432 dbname=residency pool_size=4 max_db_connections=4 connect_query='SET search_path = pg_catalog; SET extra_float_digits = 3; SET intervalstyle = postgres'$/m,
  );
  t.regex(ini, /^gbr = host=127\.0\.0\.1 port=5433 /m);
  t.regex(ini, /^server_tls_sslmode = verify-full$/m);
  t.regex(ini, /^client_tls_sslmode = require$/m);
  // a queued link gives up at the fleet's lock_timeout (5 s by default), under the write's link timeout (11 s): RS013, not RS011
  t.regex(ini, /^query_wait_timeout = 5$/m);
  t.notRegex(ini, /password/i);
  const hba = renderPoolerHba(config, usa);
  t.regex(hba, /^hostssl usa residency_link 0\.0\.0\.0\/0 scram-sha-256$/m);
  t.regex(hba, /^host all all 0\.0\.0\.0\/0 reject$/m);
  const verifier = linkVerifier('secret', 'residency_link');
  t.is(renderAuthFile('residency_link', verifier), `"residency_link" "${verifier}"\n`);
});

test('a pooler on the server machine without TLS (sslmode: disable): the links reach it in plain TCP with SCRAM, its connections to the regions stay verify-full', (t) => {
  const config = parseConfig(yaml(', pooler: { port: 6432, sslmode: disable }'), 'regions.yaml', {});
  const [usa, gbr] = config.regions as [(typeof config.regions)[0], (typeof config.regions)[0]];
  t.is(serverConnectionOptions(gbr, usa).sslmode, 'disable');
  const ini = renderPoolerIni(config, usa, {
    authFile: '/a',
    hbaFile: '/h',
    logFile: '/l',
    pidFile: '/p',
    caFile: '/ca',
    serverCert: { cert: '/c', key: '/k' },
    linkCert: undefined,
  });
  t.regex(ini, /^server_tls_sslmode = verify-full$/m);
  t.notRegex(ini, /^client_tls/m);
  const hba = renderPoolerHba(config, usa);
  t.regex(hba, /^host gbr residency_link 0\.0\.0\.0\/0 scram-sha-256$/m);
  t.notRegex(hba, /trust|hostssl/);
});

test('the link verifier is the same for one password and role, a SCRAM verifier of that password', (t) => {
  const one = linkVerifier('secret', 'residency_link');
  t.is(linkVerifier('secret', 'residency_link'), one);
  t.not(linkVerifier('secret', 'other_link'), one);
  t.not(linkVerifier('other', 'residency_link'), one);
  const salt = Buffer.from(one.split('$')[1]!.split(':')[1]!, 'base64');
  t.is(scramVerifier('secret', salt), one);
});

test('a long link password gets a verifier of few iterations, a short one keeps 4096', (t) => {
  const long = 'a'.repeat(LINK_SECRET_MIN_LENGTH);
  const verifier = linkVerifier(long, 'residency_link');
  t.true(verifier.startsWith(`SCRAM-SHA-256$${LINK_SCRAM_ITERATIONS}:`));
  const salt = Buffer.from(verifier.split('$')[1]!.split(':')[1]!, 'base64');
  t.is(scramVerifier(long, salt, LINK_SCRAM_ITERATIONS), verifier);
  t.true(linkVerifier(long.slice(1), 'residency_link').startsWith('SCRAM-SHA-256$4096:'));
});

test('dev up without PgBouncer installed says how to install it', (t) => {
  const error = t.throws(() => pgbouncerBinary({ PATH: '' }, []));
  t.is((error as { code?: string }).code, 'CLUSTER');
  t.regex(error.message, /pgbouncer is not installed: install PgBouncer 1\.18 or newer \(Debian and Ubuntu: apt-get install -y pgbouncer/);
  t.regex(error.message, /or remove pooler: from the region in regions\.yaml/);
});

test("PgBouncer's query_wait_timeout is the fleet's lock_timeout in whole seconds, at least 1", (t) => {
  const at = (lockTimeout: string) => queueWaitSeconds({ timeouts: { lockTimeout, statementTimeout: '30s' } });
  t.deepEqual([at('5s'), at('2500ms'), at('200ms'), at('1min'), at('3000')], [5, 3, 1, 60, 3]);
  t.deepEqual(
    [durationMs('2500ms'), durationMs('5s'), durationMs('2min'), durationMs('7'), durationMs('5 s')],
    [2500, 5000, 120_000, 7, Number.NaN],
  );
});
