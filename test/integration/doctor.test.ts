import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildCli } from '../../src/cli/buildCli.js';
import type { DoctorJson } from '../../src/cli/commands/doctor.js';
import pg from 'pg';
import { adminSetupSql } from '../../src/doctor/adminSetupSql.js';
import { doctorFleet } from '../../src/doctor/doctorFleet.js';
import { readDoctorSnapshot } from '../../src/doctor/readDoctorSnapshot.js';
import { linkRoleLogSettings } from '../../src/plan/linkRoleSettings.js';
import { freePort, MIXED, startFleet, type Fleet } from '../helpers/fleet.js';

// One migrated dev-style fleet (superuser migrator): ready first, then broken
// one prerequisite at a time, each named by doctor with the SQL that fixes it.
let fleet: Fleet;
test.before(async () => {
  fleet = await startFleet({ regions: MIXED, unsafeFast: true });
});
test.after.always(async () => {
  await fleet?.stop();
});

async function doctor(configPath: string, ...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await buildCli({
    argv: ['doctor', '--config', configPath, '--state-dir', fleet.stateDir, ...argv],
    env: {},
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  return { code, stdout, stderr, json: argv.includes('--json') && stdout !== '' ? (JSON.parse(stdout) as DoctorJson) : undefined };
}

const ids = (json: DoctorJson | undefined, region: string, level = 'error') =>
  json!.regions
    .find((r) => r.region === region)!
    .findings.filter((f) => f.level === level)
    .map((f) => f.id);
const fixOf = (json: DoctorJson | undefined, region: string, id: string) =>
  json!.regions.find((r) => r.region === region)!.findings.find((f) => f.id === id)?.fix;

test.serial('a ready dev fleet (superuser, migrated) exits 0 with no error in any region; the text names each region ready', async (t) => {
  const started = performance.now();
  const r = await doctor(fleet.configPath, '--all', '--json');
  t.log(`doctor --all on 3 regions: ${Math.round(performance.now() - started)} ms`);
  t.is(r.code, 0, r.stdout + r.stderr);
  t.true(r.json!.ok);
  t.deepEqual(
    r.json!.regions.map((x) => [x.region, x.findings.filter((f) => f.level === 'error'), x.error]),
    [
      ['usa', [], undefined],
      ['gbr', [], undefined],
      ['aus', [], undefined],
    ],
  );
  const text = await doctor(fleet.configPath, '--region', 'gbr');
  t.is(text.code, 0);
  t.regex(text.stdout, /^gbr {10}ready: 0 error\(s\)/m);
  t.regex(text.stdout, /\nok: 1 of 1 region\(s\) ready\n$/);
});

test.serial('the snapshot is read right on 10, 11 and 18 (a migrated dev fleet, as the superuser)', async (t) => {
  for (const region of fleet.config.regions) {
    const client = await fleet.client(region.name);
    await client.query('BEGIN TRANSACTION READ ONLY');
    const snap = await readDoctorSnapshot(client, fleet.config, region);
    await client.query('ROLLBACK');
    const others = fleet.config.regions.filter((r) => r.name !== region.name).map((r) => r.name);
    t.is(snap.major, region.postgres, region.name);
    t.like(snap, {
      user: 'postgres',
      database: 'residency',
      superuser: true,
      ownsDatabase: true,
      fdwUsage: true,
      linkRoleExists: true,
      ssl: false,
    });
    t.deepEqual(
      snap.extensions.filter((e) => e.name !== 'plpgsql').sort((a, b) => a.name.localeCompare(b.name)),
      [
        { name: 'dblink', schema: 'residency_dblink' },
        { name: 'postgres_fdw', schema: 'public' },
        { name: 'uuid-ossp', schema: 'public' },
      ],
    );
    // npm's PostgreSQL 10 ships a control file it cannot parse: the list is unknown there
    t.is(snap.available === null, region.postgres === 10);
    t.deepEqual(snap.dblinkSchema, { name: 'residency_dblink', usage: true, publicUsage: false });
    t.true(snap.dblinkFunctions.length > 20);
    t.true(snap.dblinkFunctions.every((f) => f.execute && !f.publicExecute));
    t.is(snap.settings.max_prepared_transactions, '180');
    t.is(snap.settings.log_statement, 'none');
    t.deepEqual(
      snap.parameterPrivileges.map((p) => p.granted),
      region.postgres >= 15 ? linkRoleLogSettings(18).map(() => true) : [],
    );
    t.true(snap.roleSettings.some((s) => s.role === 'residency_link' && s.config.includes('log_min_error_statement=panic')));
    t.deepEqual(snap.servers.map((s) => s.name).sort(), [...others, region.name].sort());
    t.deepEqual(
      snap.linkProbes,
      others.map((server) => ({ server, ok: true })),
    );
    // PostgreSQL 10 reads no file outside its data directory: not known there
    // the links of a fleet with a 10 log in by password: the CA file is the one file to look for
    t.deepEqual(
      snap.files.map((f) => f.path),
      ['../../.tls/ca.crt'],
    );
    t.true(snap.files.every((f) => f.exists === (region.postgres === 10 ? null : true)));
  }
});

test.serial('each missing prerequisite is named with the SQL that fixes it, and applying that SQL clears it', async (t) => {
  // gbr: no prepared transactions (restart), every statement logged, dblink in public and executable by PUBLIC
  await fleet.query('gbr', 'ALTER SYSTEM SET max_prepared_transactions = 0');
  await fleet.query('gbr', "ALTER SYSTEM SET log_statement = 'all'");
  await fleet.query('gbr', 'ALTER EXTENSION dblink SET SCHEMA public');
  await fleet.query('gbr', 'GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO PUBLIC');
  await fleet.stopRegion('gbr');
  await fleet.startRegion('gbr');
  // usa: its link to gbr names a CA file that is not there
  await fleet.query('usa', "ALTER SERVER gbr OPTIONS (SET sslrootcert '/nonexistent/ca.crt')");
  // aus: a migrator that is not a superuser, without the admin's grants
  await fleet.query('aus', "CREATE ROLE doctor_migrator LOGIN CREATEROLE PASSWORD 'doctor-secret-pw'");
  const configPath = join(fleet.stateDir, 'non-superuser.yaml');
  const yaml = readFileSync(fleet.configPath, 'utf8');
  writeFileSync(
    configPath,
    yaml.replace(
      `postgres://postgres@127.0.0.1:${fleet.ports.aus}/`,
      `postgres://doctor_migrator:doctor-secret-pw@127.0.0.1:${fleet.ports.aus}/`,
    ),
  );

  const r = await doctor(configPath, '--all', '--json');
  t.is(r.code, 1);
  t.false(r.json!.ok);
  t.false(r.stdout.includes('doctor-secret-pw'), 'the migrator password in the url is never printed');
  t.deepEqual(ids(r.json, 'gbr'), ['dblink-schema', 'dblink-public', 'max-prepared-transactions', 'log-statement']);
  t.is(
    fixOf(r.json, 'gbr', 'dblink-schema'),
    [
      'CREATE SCHEMA IF NOT EXISTS "residency_dblink";',
      'ALTER EXTENSION dblink SET SCHEMA "residency_dblink";',
      'REVOKE ALL ON SCHEMA "residency_dblink" FROM PUBLIC;',
      'REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA "residency_dblink" FROM PUBLIC;',
    ].join('\n'),
  );
  t.regex(
    fixOf(r.json, 'gbr', 'max-prepared-transactions')!,
    /^ALTER SYSTEM SET max_prepared_transactions = 180; -- then restart the server/,
  );
  t.is(fixOf(r.json, 'gbr', 'log-statement'), "ALTER SYSTEM SET log_statement = 'none';\nSELECT pg_reload_conf();");

  t.deepEqual(ids(r.json, 'usa'), ['link-failed']);
  const usa = r.json!.regions.find((x) => x.region === 'usa')!.findings[0]!;
  t.is(usa.title, '"usa" cannot reach "gbr"');
  t.regex(usa.detail, /root certificate file "\/nonexistent\/ca\.crt" does not exist/);
  t.regex(usa.fix, /^set fdw: \{ sslrootcert: <the CA file that signed "gbr"'s server certificate> \} for region "gbr" in regions\.yaml/);

  t.deepEqual(ids(r.json, 'aus'), ['migrator-database', 'postgres-fdw-usage', 'dblink-migrator', 'log-parameter-privilege']);
  const ausFixes = ['migrator-database', 'postgres-fdw-usage', 'dblink-migrator', 'log-parameter-privilege'].map((id) =>
    fixOf(r.json, 'aus', id)!,
  );
  t.deepEqual(ausFixes, [
    'ALTER DATABASE "residency" OWNER TO "doctor_migrator";',
    'GRANT USAGE ON FOREIGN DATA WRAPPER postgres_fdw TO "doctor_migrator";',
    'GRANT USAGE ON SCHEMA "residency_dblink" TO "doctor_migrator";\nGRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA "residency_dblink" TO "doctor_migrator";',
    'GRANT SET ON PARAMETER log_min_messages, log_min_error_statement, log_error_verbosity, log_statement, log_min_duration_statement, log_transaction_sample_rate, log_min_duration_sample, log_parameter_max_length, log_parameter_max_length_on_error TO "doctor_migrator";',
  ]);

  // the fixes, as the admin runs them
  for (const id of ['dblink-schema', 'dblink-public', 'log-statement', 'max-prepared-transactions'])
    for (const sql of fixOf(r.json, 'gbr', id)!.split('\n')) await fleet.query('gbr', sql);
  await fleet.stopRegion('gbr');
  await fleet.startRegion('gbr');
  await fleet.query('usa', "ALTER SERVER gbr OPTIONS (SET sslrootcert '../../.tls/ca.crt')");
  for (const fix of ausFixes) for (const sql of fix.split('\n')) await fleet.query('aus', sql);

  const after = await doctor(configPath, '--all', '--json');
  t.deepEqual(ids(after.json, 'gbr'), []);
  t.deepEqual(ids(after.json, 'usa'), []);
  // aus's objects were created by the superuser, so the new migrator cannot open the links through them: only the admin's part is asserted
  t.deepEqual(
    ids(after.json, 'aus').filter((id) => id !== 'link-failed'),
    [],
  );
});

test.serial(
  'the admin contract (adminSetupSql) run on 10, 11 and 18 leaves a migrator that is not a superuser with nothing blocking',
  async (t) => {
    const needsUuidOssp = fleet.config.extensions.includes('uuid-ossp');
    for (const region of fleet.config.regions) {
      const setup = adminSetupSql({ major: region.postgres, migrator: 'contract_migrator', database: 'contract', needsUuidOssp });
      const [createRole, ...cluster] = setup.cluster;
      // the contract leaves the password to the admin
      await fleet.query(region.name, createRole!.replace("PASSWORD '...'", "PASSWORD 'contract-pw'"));
      for (const sql of cluster) await fleet.query(region.name, sql);
      const admin = new pg.Client({
        host: '127.0.0.1',
        port: fleet.ports[region.name],
        user: 'postgres',
        password: fleet.env.PGPASSWORD,
        database: 'contract',
      });
      await admin.connect();
      try {
        for (const sql of setup.database) await admin.query(sql);
      } finally {
        await admin.end();
      }
    }
    const configPath = join(fleet.stateDir, 'contract.yaml');
    let yaml = readFileSync(fleet.configPath, 'utf8');
    for (const region of fleet.config.regions)
      yaml = yaml.replace(
        `postgres://postgres@127.0.0.1:${fleet.ports[region.name]}/residency`,
        `postgres://contract_migrator:contract-pw@127.0.0.1:${fleet.ports[region.name]}/contract`,
      );
    writeFileSync(configPath, yaml);
    const r = await doctor(configPath, '--all', '--json');
    t.is(r.code, 0, r.stdout);
    t.true(r.json!.ok);
    t.deepEqual(
      r.json!.regions.map((x) => [x.region, x.findings.map((f) => f.id)]),
      [
        // on 10 and 11 an admin gives the link role its log settings (no SET privilege there); roles are the
        // cluster's, and this one has them from the residency database's migration, so nothing is said
        // but that the fleet's links have no pooler (a warning)
        ['usa', ['no-link-pooler']],
        ['gbr', ['no-link-pooler']],
        ['aus', ['no-link-pooler']],
      ],
    );
  },
);

test.serial(
  'a database the admin only created (no extensions) for a migrator that is not a superuser: each missing extension named with the admin SQL (11)',
  async (t) => {
    await fleet.query('gbr', 'CREATE DATABASE bare OWNER contract_migrator');
    const configPath = join(fleet.stateDir, 'bare.yaml');
    writeFileSync(
      configPath,
      readFileSync(fleet.configPath, 'utf8').replace(
        `postgres://postgres@127.0.0.1:${fleet.ports.gbr}/residency`,
        `postgres://contract_migrator:contract-pw@127.0.0.1:${fleet.ports.gbr}/bare`,
      ),
    );
    const r = await doctor(configPath, '--region', 'gbr', '--json');
    t.is(r.code, 1);
    t.deepEqual(ids(r.json, 'gbr'), ['postgres-fdw-missing', 'dblink-missing', 'extension-missing']);
    t.is(
      fixOf(r.json, 'gbr', 'postgres-fdw-missing'),
      'CREATE EXTENSION IF NOT EXISTS postgres_fdw;\nGRANT USAGE ON FOREIGN DATA WRAPPER postgres_fdw TO "contract_migrator";',
    );
    t.true(
      fixOf(r.json, 'gbr', 'dblink-missing')!.startsWith(
        'CREATE SCHEMA IF NOT EXISTS "residency_dblink";\nCREATE EXTENSION IF NOT EXISTS dblink SCHEMA "residency_dblink";\n',
      ),
    );
    t.is(fixOf(r.json, 'gbr', 'extension-missing'), 'CREATE EXTENSION IF NOT EXISTS "uuid-ossp";');
  },
);

test('a region that accepts the connection and never answers is reported within the timeout, not waited on', async (t) => {
  const sockets: Socket[] = [];
  const server: Server = createServer((s) => sockets.push(s));
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  try {
    const base = fleet.config.regions[0]!;
    const config = { ...fleet.config, regions: [{ ...base, url: `postgres://postgres@127.0.0.1:${port}/residency` }] };
    const started = performance.now();
    const report = await doctorFleet(config, fleet.env, { timeoutMs: 1500 });
    const ms = performance.now() - started;
    t.false(report.ok);
    t.is(report.regions[0]?.error?.code, 'CONNECTION');
    t.regex(report.regions[0]!.error!.message, /^region "usa": /);
    t.true(ms < 4000, `took ${ms} ms`);
  } finally {
    for (const s of sockets) s.destroy();
    server.close();
  }
});

test('usage: --all and --region contradict (exit 2); an unknown region is one JSON error (exit 1)', async (t) => {
  const both = await doctor(fleet.configPath, '--all', '--region', 'usa');
  t.is(both.code, 2);
  t.regex(both.stderr, /--all and --region usa contradict each other: pass --all for every region, or --region NAME for some/);
  const unknown = await doctor(fleet.configPath, '--region', 'eu-wset', '--json');
  t.is(unknown.code, 1);
  t.deepEqual(JSON.parse(unknown.stderr), {
    error: { code: 'UNKNOWN_REGION', message: 'unknown region "eu-wset"; regions.yaml defines "usa", "gbr", "aus"' },
  });
});
