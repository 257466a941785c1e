import test from 'ava';
import { join } from 'node:path';
import { buildCli } from '../../src/cli/buildCli.js';
import { genMigrations } from '../../src/render/genMigrations.js';
import { loadTemplates } from '../../src/render/loadTemplates.js';
import { nodeGeneratedFs } from '../../src/render/nodeGeneratedFs.js';
import { MIGRATOR, startManagedFleet, type ManagedFleet } from '../helpers/managedFleet.js';

// Issue 17, finding 2: an admin who skipped a step, or created dblink in
// public, used to get a fleet that failed at migrate with PostgreSQL's bare
// "permission denied", or worse, that migrated "ok" while every write failed
// and dblink stayed executable by PUBLIC. Now migrate refuses, naming the
// region and the SQL an admin runs; running that SQL is enough.
let fleet: ManagedFleet;
let dir: string;
test.before(async () => {
  fleet = await startManagedFleet([{ name: 'deu', postgres: 15 }], {
    // an admin who left out steps: no postgres_fdw, dblink where a console's
    // "enable extension" puts it, the database not the migrator's, no CREATEROLE
    adminDatabaseSql: (documented) => [
      ...documented.filter((s) => !/postgres_fdw|residency_dblink/.test(s)),
      'CREATE EXTENSION dblink SCHEMA public',
      `ALTER DATABASE residency OWNER TO postgres`,
      `ALTER ROLE ${MIGRATOR} NOCREATEROLE`,
    ],
  });
  dir = join(fleet.root, 'generated');
  await genMigrations({
    config: fleet.config,
    templates: await loadTemplates(),
    outDir: dir,
    check: false,
    force: false,
    fs: nodeGeneratedFs,
  });
});
test.after.always(async () => {
  await fleet?.stop();
});

async function up(on: ManagedFleet = fleet, generated = dir) {
  let stdout = '';
  let stderr = '';
  const code = await buildCli({
    argv: ['migrate', 'up', '--all', '--dir', generated, '--config', on.configPath, '--state-dir', join(on.root, 'cli'), '--json'],
    env: Object.freeze({ ...on.env }),
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  const [region] = (JSON.parse(stdout) as { regions: { status: string; error?: { message: string } }[] }).regions;
  return { code, status: region!.status, message: region!.error?.message ?? '', stderr };
}

/** The SQL lines of an error message after "run:", as an admin would paste them. */
const adminSql = (message: string) =>
  message
    .slice(message.indexOf('run:') + 4)
    .split(/\n|; (?=then run migrate)/)
    .map((l) => l.trim())
    .filter((l) => /^(CREATE|ALTER|REVOKE|GRANT)\b/.test(l))
    .map((l) => l.replace(/;.*$/, ''));

test.serial(
  'each missing admin step is refused at migrate, naming the region, the right and the SQL; running that SQL is enough',
  async (t) => {
    const steps: [RegExp, string[]][] = [
      [
        /^region "deu": the role "migrator" may not create pg-residency's bookkeeping tables in schema public \(it needs CREATE there; .*run: GRANT CREATE ON SCHEMA public TO migrator; then run migrate again/,
        ['GRANT CREATE ON SCHEMA public TO migrator'],
      ],
      [
        /region "deu": the role "migrator" may not create schemas in database "residency" .*run: ALTER DATABASE residency OWNER TO migrator;/,
        ['ALTER DATABASE residency OWNER TO migrator'],
      ],
      [
        /region "deu": the extension "postgres_fdw" is not installed, and the role "migrator" may not create it \(only a superuser or a cloud's admin role may\); as an admin, connected to database "residency", run: CREATE EXTENSION IF NOT EXISTS postgres_fdw; then run migrate again/,
        ['CREATE EXTENSION IF NOT EXISTS postgres_fdw'],
      ],
      [
        /region "deu": the role "migrator" may not use the foreign-data wrapper postgres_fdw; .*run: GRANT USAGE ON FOREIGN DATA WRAPPER postgres_fdw TO migrator;/,
        ['GRANT USAGE ON FOREIGN DATA WRAPPER postgres_fdw TO migrator'],
      ],
      [
        /region "deu": the role "migrator" may not create the link role "residency_link" \(it needs CREATEROLE\); as an admin run: ALTER ROLE migrator CREATEROLE;/,
        ['ALTER ROLE migrator CREATEROLE'],
      ],
      // dblink in public: never "applied" with writes that cannot work
      [
        /region "deu": dblink is installed in schema "public", .*pg-residency needs it in schema residency_dblink, with EXECUTE on its functions not granted to PUBLIC/s,
        [
          'CREATE SCHEMA IF NOT EXISTS residency_dblink',
          'ALTER EXTENSION dblink SET SCHEMA residency_dblink',
          'REVOKE ALL ON SCHEMA residency_dblink FROM PUBLIC',
          'REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA residency_dblink FROM PUBLIC',
          'GRANT USAGE ON SCHEMA residency_dblink TO migrator',
          'GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA residency_dblink TO migrator',
        ],
      ],
    ];
    const admin = await fleet.connectSuperuser('deu');
    for (const [message, fix] of steps) {
      const refused = await up();
      t.is(refused.code, 1);
      t.is(refused.status, 'failed');
      t.regex(refused.message, message);
      t.deepEqual(adminSql(refused.message), fix);
      for (const statement of fix) await admin.query(statement);
    }
    await admin.end();
    const done = await up();
    t.is(done.status, 'applied', done.message);
    t.is(done.code, 0);
  },
);

test.serial('dblink that PUBLIC may execute is refused at migrate, naming the region and the REVOKE', async (t) => {
  // the admin forgot the REVOKEs: CREATE EXTENSION grants EXECUTE to PUBLIC
  const open = await startManagedFleet([{ name: 'aus', postgres: 18 }], {
    adminDatabaseSql: (documented) => documented.filter((s) => !s.startsWith('REVOKE')),
  });
  try {
    const generated = join(open.root, 'generated');
    await genMigrations({
      config: open.config,
      templates: await loadTemplates(),
      outDir: generated,
      check: false,
      force: false,
      fs: nodeGeneratedFs,
    });
    const refused = await up(open, generated);
    t.is(refused.code, 1);
    t.regex(
      refused.message,
      /region "aus": PUBLIC may use dblink \(USAGE on schema residency_dblink or EXECUTE on its functions\), so any role could run SQL on a connection a write left open, and the role "migrator" does not own them to revoke it; .*\nREVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA residency_dblink FROM PUBLIC;\n/s,
    );
    const admin = await open.connectSuperuser('aus');
    for (const statement of adminSql(refused.message)) await admin.query(statement);
    await admin.end();
    const done = await up(open, generated);
    t.is(done.status, 'applied', done.message);
  } finally {
    await open.stop();
  }
});
