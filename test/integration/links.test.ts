import test from 'ava';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { buildCli } from '../../src/cli/buildCli.js';
import { regionPaths } from '../../src/cluster/regionPaths.js';
import { verifyFleet } from '../../src/verify/verifyFleet.js';
import { statusFleet } from '../../src/migrate/statusFleet.js';
import { recordCase } from '../helpers/catalogue.js';
import { MIXED, startFleet } from '../helpers/fleet.js';
import { readLog } from '../helpers/logAudit.js';

// Issue 17, finding 1: a fleet that migrates cleanly and cannot write. The
// links are tested where they are bound (migrate up), and their failures carry
// libpq's own reason (RS011, verify's RV401).

test('issue 17 finding 1: a regions.yaml without TLS paths (the README reference) on the dev fleet writes across regions', async (t) => {
  recordCase(t);
  const fleet = await startFleet({ regions: MIXED, linkCert: false, rootCert: false });
  try {
    t.true(fleet.config.regions.every((r) => r.fdw.sslrootcert === undefined && r.fdw.sslmode === 'verify-full'));
    const keys = { gbr: randomUUID(), usa: randomUUID(), aus: randomUUID() };
    await fleet.query('usa', 'SELECT * FROM shared.upsert_identity($1, $2, $3, $4)', [keys.gbr, 'Written from usa', 'gbr', null]);
    await fleet.query('aus', 'SELECT * FROM shared.upsert_identity($1, $2, $3, $4)', [keys.usa, 'Written from aus', 'usa', null]);
    await fleet.query('gbr', 'SELECT * FROM shared.upsert_identity($1, $2, $3, $4)', [keys.aus, 'Written from gbr', 'aus', null]);
    for (const [home, key] of Object.entries(keys)) {
      const rows = await fleet.query(home, `SELECT name FROM ${home}.identity_details WHERE uuid = $1`, [key]);
      t.is(rows.length, 1, `${home} holds its row`);
    }
  } finally {
    await fleet.stop();
  }
});

test('issue 17 finding 4: no link password in any server log with log_statement ddl, then mod, after migrate up, status and down', async (t) => {
  recordCase(t);
  const fleet = await startFleet({ regions: MIXED, migrate: false });
  try {
    const passwords = [...new Set(fleet.config.regions.map((r) => fleet.env[r.fdw.passwordEnv]!))];
    t.true(passwords.every((p) => p.length >= 16));
    for (const level of ['ddl', 'mod']) {
      for (const region of fleet.config.regions) {
        await fleet.query(region.name, `ALTER SYSTEM SET log_statement = '${level}'`);
        await fleet.query(region.name, 'SELECT pg_reload_conf()');
      }
      const up = await fleet.migrate({});
      t.deepEqual(
        up.map((r) => [r.region, r.status, r.error?.message]),
        fleet.config.regions.map((r) => [r.name, 'applied', undefined]),
      );
      // nothing to apply: the passwords are set again all the same
      t.true((await fleet.migrate({})).every((r) => r.status === 'nothing-to-do' && r.links !== undefined));
      t.true((await statusFleet(fleet.config, [], true, fleet.dir, fleet.env)).every((s) => s.pending.length === 0));
      t.true((await fleet.migrate({ direction: 'down', allowDestructive: true })).every((r) => r.status === 'reverted'));
    }
    for (const region of fleet.config.regions) {
      const log = readLog(regionPaths(fleet.stateDir, region.name, fleet.ports[region.name]!).logFile);
      // the statements were logged: the migrations' DDL, the user mappings' own
      t.regex(log, /statement: [^]*CREATE USER MAPPING/, `${region.name}: log_statement is on`);
      for (const password of passwords) t.false(log.includes(password), `${region.name}'s log holds a link password`);
      t.regex(
        log,
        /statement: CREATE OR REPLACE FUNCTION pg_temp.rsd_set_secret/,
        `${region.name}: the setter's definition is logged, not its arguments`,
      );
    }
  } finally {
    await fleet.stop();
  }
});

/** The CLI in-process, against a scratch fleet's state directory and environment. */
async function cli(argv: string[], env: Readonly<Record<string, string>>) {
  let stdout = '';
  let stderr = '';
  const code = await buildCli({
    argv,
    env: { ...env },
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  return { code, stdout, stderr };
}

const MISSING_CA = '/nonexistent/pg-residency-17/ca.crt';

test('issue 17 finding 1: a broken link (wrong sslrootcert) makes migrate up exit 1 naming the link, the certificate and the fix; RS011 and RV401 carry the reason', async (t) => {
  recordCase(t);
  const fleet = await startFleet({ regions: MIXED, rootCert: false, migrate: false, fdw: { gbr: `sslrootcert: ${MISSING_CA}` } });
  try {
    const args = ['--config', fleet.configPath, '--state-dir', fleet.stateDir, 'migrate', 'up', '--all', '--dir', fleet.dir];
    const up = await cli(args, fleet.env);
    t.is(up.code, 1, up.stdout + up.stderr);
    const certificate = `root certificate file "${MISSING_CA}" does not exist`;
    for (const [from, way] of [
      ['usa', 'postgres_fdw'],
      ['usa', 'dblink'],
      ['aus', 'postgres_fdw'],
      ['gbr', 'dblink'],
    ]) {
      const line = up.stderr.split('\n').find((l) => l.startsWith(`  ${from} -> gbr${from === 'gbr' ? ' (loopback)' : ''} by ${way}: `));
      t.true(line?.includes(certificate), `${from} -> gbr by ${way}:\n${up.stderr}`);
    }
    t.regex(
      up.stderr,
      /^usa {10}error \[MIGRATION\]: region "usa": its migrations are applied, but 2 links do not work as the link role "residency_link"/m,
    );
    t.regex(up.stderr, /fix: set fdw\.sslrootcert of region "gbr" in regions\.yaml to the CA file that signed its server certificate/);
    t.false(/usa -> aus|aus -> usa|-> aus|-> usa/.test(up.stderr), 'only the links to gbr fail');

    // a rollout region by region: a link to a region outside the run is a warning
    const alone = await cli([...args.slice(0, -3), '--region', 'usa', '--dir', fleet.dir], fleet.env);
    t.is(alone.code, 0, alone.stdout + alone.stderr);
    t.regex(alone.stderr, /^warning: region "usa": its migrations are applied, but 2 links do not work/m);
    t.regex(alone.stderr, /not migrated by this run/);

    // RS011 names libpq's reason
    const write = await fleet
      .query('usa', 'SELECT * FROM shared.upsert_identity($1, $2, $3, $4)', [randomUUID(), 'Never written', 'gbr', null])
      .then(
        () => undefined,
        (e: { code: string; message: string }) => e,
      );
    t.is(write?.code, 'RS011');
    t.true(write?.message.includes(`retry when it is back (libpq: ${certificate}`), write?.message);

    // RV401 too, and its fix is about the certificate
    const report = await verifyFleet(fleet.config, fleet.env, { dir: fleet.dir });
    const rv401 = report.findings.filter((f) => f.rule === 'RV401');
    t.deepEqual(
      rv401.map((f) => f.region),
      ['usa', 'aus'],
    );
    for (const f of rv401) {
      t.true(f.detail.includes(certificate), f.detail);
      t.regex(f.fix, /set fdw\.sslrootcert of region "gbr"/);
    }

    // fixed in regions.yaml: the next migrate up binds it, tests the links and exits 0
    writeFileSync(fleet.configPath, readFileSync(fleet.configPath, 'utf8').replace(`sslrootcert: ${MISSING_CA}`, ''));
    const fixed = await cli(args, fleet.env);
    t.is(fixed.code, 0, fixed.stdout + fixed.stderr);
    await fleet.query('usa', 'SELECT * FROM shared.upsert_identity($1, $2, $3, $4)', [randomUUID(), 'Written at last', 'gbr', null]);
  } finally {
    await fleet.stop();
  }
});
