import test from 'ava';
import { randomUUID } from 'node:crypto';
import { chown, copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { ensureDevTls, serverTlsFiles } from '../../src/cluster/devTls.js';
import { serverUser } from '../../src/cluster/serverUser.js';
import { connectRegion } from '../../src/migrate/connect.js';
import { startCapturingProxy, type CapturingProxy } from '../helpers/capturingProxy.js';
import { freePort, startFleet, type Fleet } from '../helpers/fleet.js';

// Links between regions on real servers: usa (PostgreSQL 10) reaches gbr (11)
// through a proxy that records every byte, as a wire tap on the border would.

interface TappedFleet {
  readonly fleet: Fleet;
  readonly proxy: CapturingProxy;
}

async function tappedFleet(gbrFdw?: string): Promise<TappedFleet> {
  const ports = { usa: await freePort(), gbr: await freePort() };
  const proxy = await startCapturingProxy(ports.gbr);
  try {
    const fleet = await startFleet({
      regions: [
        { name: 'usa', postgres: 10 },
        { name: 'gbr', postgres: 11 },
      ],
      ports,
      fdwPorts: { gbr: proxy.port },
      ...(gbrFdw === undefined ? {} : { fdw: { gbr: gbrFdw } }),
    });
    return { fleet, proxy };
  } catch (error) {
    await proxy.close();
    throw error;
  }
}

let verified: Promise<TappedFleet>;
let clear: Promise<TappedFleet>;
test.before(() => {
  verified = tappedFleet();
  clear = tappedFleet('sslmode: disable');
  // Failures surface in the tests that await them.
  verified.catch(() => undefined);
  clear.catch(() => undefined);
});
test.after.always(async () => {
  for (const tapped of [verified, clear]) {
    const t = await tapped?.catch(() => undefined);
    await t?.proxy.close();
    await t?.fleet.stop();
  }
});

/**
 * Writes a person owned by gbr from usa and reads it back through usa's
 * parent, on a session of usa that stays open (and keeps its links to gbr).
 */
async function writeAndReadThroughParent(fleet: Fleet): Promise<{ marker: string; readBack: unknown }> {
  const marker = `Marker ${randomUUID()}`;
  const key = randomUUID();
  const usa = await fleet.client('usa');
  await usa.query('SELECT * FROM shared.upsert_identity($1, $2, $3, $4)', [key, marker, 'gbr', 'tls test']);
  const { rows } = await usa.query<{ name: string }>('SELECT name FROM shared.identity_details WHERE uuid = $1', [key]);
  return { marker, readBack: rows[0]?.name };
}

test.serial('a name written from usa for a gbr person never crosses the border in clear text (verify-full)', async (t) => {
  const { fleet, proxy } = await verified;
  const results = await fleet.migrate({});
  t.deepEqual(
    results.map((r) => [r.region, r.links, r.warnings]),
    [
      ['usa', [{ target: 'gbr', auth: 'password' }], []],
      ['gbr', [{ target: 'usa', auth: 'password' }], []],
    ],
  );
  const before = proxy.captured().length;
  const { marker, readBack } = await writeAndReadThroughParent(fleet);
  t.is(readBack, marker);
  const [stored] = await fleet.query('gbr', 'SELECT name FROM gbr.identity_details WHERE name = $1', [marker]);
  t.deepEqual(stored, { name: marker }, 'the row lives in gbr, so it crossed the proxy');
  const captured = proxy.captured();
  t.true(captured.length - before > 1000, 'the link went through the proxy');
  t.false(captured.includes(marker), 'the marker is not in the captured bytes');
  const links = await fleet.query(
    'gbr',
    `SELECT s.ssl, s.version FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.usename = 'residency_link'`,
  );
  t.true(links.length > 0 && links.every((l) => l.ssl === true), JSON.stringify(links));
});

test.serial('with sslmode: disable written for gbr, migrate warns and the same tap reads the name', async (t) => {
  const { fleet, proxy } = await clear;
  const results = await fleet.migrate({});
  t.deepEqual(
    results.map((r) => [r.region, r.warnings]),
    [
      ['usa', []],
      [
        'gbr',
        [
          'region "gbr": fdw.sslmode is "disable": the other regions reach it in clear text, so personal data crosses the border unencrypted; remove fdw.sslmode from regions.yaml to use verify-full',
        ],
      ],
    ],
  );
  const { marker, readBack } = await writeAndReadThroughParent(fleet);
  t.is(readBack, marker);
  t.true(proxy.captured().includes(marker), 'the check above can fail: here the marker crossed in clear text');
});

test.serial('the link role cannot log in to a dev-fleet region without TLS; with TLS and the CA it can', async (t) => {
  const { fleet } = await verified;
  const ca = await readFile(join(fleet.stateDir, '.tls', 'ca.crt'), 'utf8');
  for (const region of ['usa', 'gbr']) {
    const connect = async (ssl: pg.ClientConfig['ssl']) => {
      const client = new pg.Client({
        host: '127.0.0.1',
        port: fleet.ports[region],
        user: 'residency_link',
        password: fleet.env.PG_RESIDENCY_LINK_PASSWORD,
        database: 'residency',
        ssl,
      });
      client.on('error', () => undefined);
      try {
        await client.connect();
        return (await client.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).rows[0]!.ssl;
      } finally {
        await client.end().catch(() => undefined);
      }
    };
    const refused = await t.throwsAsync(connect(false));
    t.is((refused as { code?: string }).code, '28000', region);
    t.regex(
      refused.message,
      /pg_hba\.conf rejects connection for host "127\.0\.0\.1", user "residency_link", database "residency", (SSL off|no encryption)/,
    );
    t.true(await connect({ ca }), region);
  }
});

test.serial("the CLI's own connections follow sslmode, sslrootcert and friends in a region's url", async (t) => {
  const { fleet } = await verified;
  const usa = fleet.config.regions.find((r) => r.name === 'usa')!;
  const base = `postgres://postgres@127.0.0.1:${fleet.ports.usa}/residency`;
  const ca = join(fleet.stateDir, '.tls', 'ca.crt');
  const client = await connectRegion({ ...usa, url: `${base}?sslmode=verify-full&sslrootcert=${ca}` }, fleet.env);
  try {
    const { rows } = await client.query('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
    t.deepEqual(rows, [{ ssl: true }]);
  } finally {
    await client.end();
  }
  const other = await mkdtemp(join(tmpdir(), 'rsd-otherca-'));
  try {
    await ensureDevTls(fleet.config, other, undefined);
    const url = `${base}?sslmode=verify-full&sslrootcert=${join(other, '.tls', 'ca.crt')}`;
    const refused = await t.throwsAsync(connectRegion({ ...usa, url }, fleet.env));
    t.true(refused.message.startsWith(`region "usa": cannot connect to ${url} (`), refused.message);
  } finally {
    await rm(other, { recursive: true, force: true });
  }
  const missing = await t.throwsAsync(
    connectRegion({ ...usa, url: `${base}?sslmode=verify-full&sslrootcert=/nonexistent/ca.crt` }, fleet.env),
  );
  t.is(
    missing.message,
    `region "usa": the TLS settings in its url (${base}?sslmode=verify-full&sslrootcert=/nonexistent/ca.crt) cannot be used: ENOENT: no such file or directory, open '/nonexistent/ca.crt'`,
  );
});

test.serial('a region presenting a certificate from another CA is refused, naming the region', async (t) => {
  const { fleet } = await verified;
  // Another dev CA, as an impostor would have: its certificate for gbr's names replaces gbr's own.
  const other = await mkdtemp(join(tmpdir(), 'rsd-otherca-'));
  try {
    const user = await serverUser();
    await ensureDevTls(fleet.config, other, user);
    const impostor = serverTlsFiles(other, 'gbr');
    const own = serverTlsFiles(fleet.stateDir, 'gbr');
    await fleet.stopRegion('gbr');
    for (const [from, to] of [
      [impostor.cert, own.cert],
      [impostor.key, own.key],
    ] as const) {
      await copyFile(from, to);
      if (user !== undefined) await chown(to, user.uid, user.gid);
    }
    await fleet.startRegion('gbr');
    const error = await t.throwsAsync(fleet.query('usa', 'SELECT count(*) FROM shared.identity_details'));
    t.is((error as { code?: string }).code, '08001');
    t.is(error.message, 'could not connect to server "gbr"');
    t.regex(String((error as { detail?: string }).detail), /certificate verify failed/);
  } finally {
    await rm(other, { recursive: true, force: true });
  }
});

test('where every region runs 13+, the link role logs in by certificate: no password in any user mapping', async (t) => {
  const fleet = await startFleet({
    regions: [
      { name: 'aus', postgres: 18 },
      { name: 'nzl', postgres: 18 },
    ],
    extra: 'app_roles: [app]',
    migrate: false,
  });
  try {
    const appPassword = randomUUID();
    for (const region of ['aus', 'nzl']) await fleet.query(region, `CREATE ROLE app LOGIN PASSWORD '${appPassword}'`);
    const results = await fleet.migrate({});
    t.deepEqual(
      results.map((r) => [r.region, r.status, r.links]),
      [
        ['aus', 'applied', [{ target: 'nzl', auth: 'cert' }]],
        ['nzl', 'applied', [{ target: 'aus', auth: 'cert' }]],
      ],
    );
    const [mapping] = await fleet.query('aus', `SELECT umoptions FROM pg_user_mappings WHERE srvname = 'nzl'`);
    t.deepEqual(mapping, {
      umoptions: ['user=residency_link', 'sslcert=../../.tls/link.crt', 'sslkey=../../.tls/link.key', 'password_required=false'],
    });
    // A non-superuser of app_roles reads the other region through the parent.
    const key = randomUUID();
    const aus = await fleet.client('aus');
    await aus.query('SELECT * FROM shared.upsert_identity($1, $2, $3, $4)', [key, 'Kiwi', 'nzl', null]);
    const app = new pg.Client({ host: '127.0.0.1', port: fleet.ports.aus, user: 'app', password: appPassword, database: 'residency' });
    await app.connect();
    try {
      const { rows } = await app.query('SELECT name FROM shared.identity_details WHERE uuid = $1', [key]);
      t.deepEqual(rows, [{ name: 'Kiwi' }]);
    } finally {
      await app.end();
    }
    const links = await fleet.query(
      'nzl',
      `SELECT s.ssl, s.client_dn FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.usename = 'residency_link'`,
    );
    t.true(links.length > 0, 'aus holds a link to nzl');
    t.true(
      links.every((l) => l.ssl === true && l.client_dn === '/CN=residency_link'),
      JSON.stringify(links),
    );
  } finally {
    await fleet.stop();
  }
});

test('a fleet with a region below 13 logs in by password everywhere, that region reaching itself included', async (t) => {
  // gbr (11) reaches itself through its loopback server with its own
  // postgres_fdw and dblink, which cannot present a certificate: a
  // certificate for the links into gbr (because aus alone, 18, reaches it
  // from outside) put sslcert in gbr's own mapping and failed its migrate.
  const fleet = await startFleet({
    regions: [
      { name: 'gbr', postgres: 11 },
      { name: 'aus', postgres: 18 },
    ],
    migrate: false,
  });
  try {
    const results = await fleet.migrate({});
    t.deepEqual(
      results.map((r) => [r.region, r.status, r.links]),
      [
        ['gbr', 'applied', [{ target: 'aus', auth: 'password' }]],
        ['aus', 'applied', [{ target: 'gbr', auth: 'password' }]],
      ],
    );
    for (const region of ['gbr', 'aus']) {
      const mappings = await fleet.query(region, `SELECT srvname, umoptions FROM pg_user_mappings ORDER BY srvname`);
      t.true(
        mappings.every((m) => !(m.umoptions as string[]).some((o) => o.startsWith('sslcert='))),
        `${region}: ${JSON.stringify(mappings)}`,
      );
    }
    const keys = { gbr: randomUUID(), aus: randomUUID() };
    for (const [caller, owner] of [
      ['gbr', 'aus'],
      ['aus', 'gbr'],
    ] as const) {
      await fleet.query(caller, 'SELECT * FROM shared.upsert_identity($1, $2, $3, $4)', [keys[owner], `Owned by ${owner}`, owner, null]);
    }
    for (const region of ['gbr', 'aus']) {
      const rows = await fleet.query(region, 'SELECT uuid::text, region FROM shared.identity ORDER BY region');
      t.deepEqual(
        rows,
        [
          { uuid: keys.aus, region: 'aus' },
          { uuid: keys.gbr, region: 'gbr' },
        ],
        region,
      );
      const owned = await fleet.query(region, `SELECT name FROM ${region}.identity_details`);
      t.deepEqual(owned, [{ name: `Owned by ${region}` }], `${region} holds its own person only`);
    }
  } finally {
    await fleet.stop();
  }
});
