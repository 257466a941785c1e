import test from 'ava';
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { renderSum } from '../../src/format/checksum.js';
import { join } from 'node:path';
import { PG_MIGRATE_LOCK_ID } from 'node-pg-migrate';
import { migrateFleet } from '../../src/migrate/migrateFleet.js';
import { statusFleet } from '../../src/migrate/statusFleet.js';
import { MIXED, startFleet, type Fleet } from '../helpers/fleet.js';

// One mixed fleet for the file: usa on PostgreSQL 10 (routing), gbr 11 and aus 18 (native).
let fleet: Fleet;
test.before(async () => {
  fleet = await startFleet({ regions: MIXED, migrate: false, unsafeFast: true });
});
test.after.always(async () => {
  await fleet?.stop();
});

interface Catalog {
  servers: string[];
  mappings: string[];
  leaf: string[];
  foreignPartitions: string[];
  functions: string[];
}

async function catalog(region: string): Promise<Catalog> {
  const q = (sql: string) => fleet.query(region, sql);
  const servers = await q(`SELECT srvname || ' ' || array_to_string(srvoptions, ',') AS s FROM pg_foreign_server ORDER BY srvname`);
  const mappings = await q(
    `SELECT srvname || ' ' || usename || ' ' || array_to_string(umoptions, ',') AS s FROM pg_user_mappings ORDER BY srvname`,
  );
  const leaf = await q(`
    SELECT c.conname || ' ' || c.contype::text || ' ' || pg_get_constraintdef(c.oid) AS s
    FROM pg_constraint c WHERE c.conrelid = '${region}.identity_details'::regclass ORDER BY c.contype, c.conname`);
  const foreignPartitions = await q(`
    SELECT n.nspname || '.' || k.relname || ' ' || s.srvname || ' ' || array_to_string(f.ftoptions, ',') || ' ' || pg_get_expr(k.relpartbound, k.oid) AS s
    FROM pg_foreign_table f JOIN pg_class k ON k.oid = f.ftrelid JOIN pg_namespace n ON n.oid = k.relnamespace
    JOIN pg_foreign_server s ON s.oid = f.ftserver WHERE k.relispartition ORDER BY 1`);
  const functions = await q(`
    SELECT p.proname || ' ' || p.prosecdef::text || ' ' || array_to_string(p.proconfig, ',') AS s
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'shared' ORDER BY 1`);
  const strip = (rows: Record<string, unknown>[]) => rows.map((r) => String(r.s).replace(/password=[^,]*/, 'password=***'));
  return {
    servers: strip(servers),
    mappings: strip(mappings),
    leaf: strip(leaf),
    foreignPartitions: strip(foreignPartitions),
    functions: strip(functions),
  };
}

test.serial('up --all on a mixed fleet creates every object in every region; down --all empties it; up again', async (t) => {
  const up = await fleet.migrate({});
  t.deepEqual(
    up.map((r) => [r.region, r.status, r.migrations.length]),
    [
      ['usa', 'applied', 10],
      ['gbr', 'applied', 10],
      ['aus', 'applied', 10],
    ],
  );

  const p = fleet.ports;
  const usa = await catalog('usa');
  t.deepEqual(usa.servers, [
    `aus fetch_size=1000,host=127.0.0.1,port=${p.aus},dbname=residency,sslmode=verify-full,connect_timeout=2,sslrootcert=../../.tls/ca.crt`,
    `gbr fetch_size=1000,host=127.0.0.1,port=${p.gbr},dbname=residency,sslmode=verify-full,connect_timeout=2,sslrootcert=../../.tls/ca.crt`,
    // the loopback, for this region's part of two-phase writes
    `usa host=127.0.0.1,port=${p.usa},dbname=residency,sslmode=verify-full,connect_timeout=2,sslrootcert=../../.tls/ca.crt`,
  ]);
  t.deepEqual(usa.mappings, [
    'aus public user=residency_link,password=***',
    'gbr public user=residency_link,password=***',
    'usa public user=residency_link,password=***',
  ]);
  t.deepEqual(usa.leaf, ["identity_details_region_check c CHECK ((region = 'usa'::text))", 'identity_details_pkey p PRIMARY KEY (uuid)']);
  t.deepEqual(usa.foreignPartitions, [
    "aus.identity_details aus schema_name=aus,table_name=identity_details FOR VALUES IN ('aus')",
    "gbr.identity_details gbr schema_name=gbr,table_name=identity_details FOR VALUES IN ('gbr')",
  ]);
  t.deepEqual(usa.functions, [
    'apply_identity true search_path=pg_catalog, pg_temp,log_min_error_statement=panic',
    'count_identity_by_region true search_path=pg_catalog, pg_temp,log_min_error_statement=panic',
    'erase_identity true search_path=pg_catalog, pg_temp,lock_timeout=5s,log_min_error_statement=panic',
    'find_identity true search_path=pg_catalog, pg_temp,log_min_error_statement=panic',
    'get_identity true search_path=pg_catalog, pg_temp,log_min_error_statement=panic',
    'get_identity_many true search_path=pg_catalog, pg_temp,log_min_error_statement=panic',
    // a new row's defaults, read from the tables: called by the definer functions only (issue 18)
    'identity_defaults false search_path=pg_catalog, pg_temp',
    'rehome_identity true search_path=pg_catalog, pg_temp,lock_timeout=5s,log_min_error_statement=panic',
    'sync_identity true search_path=pg_catalog, pg_temp,lock_timeout=5s,log_min_error_statement=panic',
    'upsert_identity true search_path=pg_catalog, pg_temp,log_min_error_statement=panic',
    'upsert_identity_many true search_path=pg_catalog, pg_temp,lock_timeout=5s,log_min_error_statement=panic',
    'upsert_identity_rows true search_path=pg_catalog, pg_temp,log_min_error_statement=panic',
  ]);
  const aus = await catalog('aus');
  t.deepEqual(aus.servers, [
    `aus host=127.0.0.1,port=${p.aus},dbname=residency,sslmode=verify-full,connect_timeout=2,sslrootcert=../../.tls/ca.crt`,
    `gbr async_capable=true,batch_size=100,keep_connections=on,parallel_commit=true,parallel_abort=true,fetch_size=1000,host=127.0.0.1,port=${p.gbr},dbname=residency,sslmode=verify-full,connect_timeout=2,sslrootcert=../../.tls/ca.crt`,
    `usa async_capable=true,batch_size=100,keep_connections=on,parallel_commit=true,parallel_abort=true,fetch_size=1000,host=127.0.0.1,port=${p.usa},dbname=residency,sslmode=verify-full,connect_timeout=2,sslrootcert=../../.tls/ca.crt`,
  ]);
  t.deepEqual(
    aus.foreignPartitions.map((s) => s.split(' ')[0]),
    ['gbr.identity_details', 'usa.identity_details'],
  );
  // the link role: least privilege (it reads the leaf and the directory, and writes neither: issue 17), bounded waits
  const [role] = await fleet.query(
    'gbr',
    `SELECT rolsuper, rolcreaterole, rolcreatedb, rolconfig FROM pg_roles WHERE rolname = 'residency_link'`,
  );
  t.deepEqual(role, {
    rolsuper: false,
    rolcreaterole: false,
    rolcreatedb: false,
    rolconfig: [
      'lock_timeout=5s',
      'statement_timeout=30s',
      'log_min_messages=fatal',
      'log_min_error_statement=panic',
      'log_error_verbosity=terse',
      'log_statement=none',
      'log_min_duration_statement=-1',
    ],
  });
  const grants = await fleet.query(
    'gbr',
    `SELECT table_schema || '.' || table_name || ' ' || string_agg(privilege_type, ',' ORDER BY privilege_type) AS g FROM information_schema.role_table_grants WHERE grantee = 'residency_link' GROUP BY table_schema, table_name ORDER BY 1`,
  );
  t.deepEqual(
    grants.map((g) => g.g),
    ['gbr.identity_details SELECT', 'residency.commit_records INSERT', 'shared.identity SELECT'],
  );

  // issue 18, finding 5: a whole revert drops every table: refused without --allow-destructive, nothing reverted
  const refused = await fleet.migrate({ direction: 'down' });
  t.deepEqual(
    refused.map((r) => [r.region, r.status]),
    [
      ['usa', 'failed'],
      ['gbr', 'skipped'],
      ['aus', 'skipped'],
    ],
  );
  t.regex(
    refused[0]!.error!.message,
    /^region "usa": migrate down would destroy data: 0006_entity_identity\.sql drops table "shared"\."identity_outbox"; .* Pass --allow-destructive to revert it, or revert fewer migrations/,
  );
  for (const region of ['usa', 'gbr', 'aus'])
    t.deepEqual(await fleet.query(region, 'SELECT count(*)::int AS n FROM public.pg_residency_migrations'), [{ n: 10 }], region);

  const down = await fleet.migrate({ direction: 'down', allowDestructive: true });
  t.deepEqual(
    down.map((r) => [r.region, r.status, r.migrations.length]),
    [
      ['usa', 'reverted', 10],
      ['gbr', 'reverted', 10],
      ['aus', 'reverted', 10],
    ],
  );
  for (const region of ['usa', 'gbr', 'aus']) {
    const [left] = await fleet.query(
      region,
      `SELECT (SELECT count(*) FROM pg_foreign_server)::int AS servers, (SELECT count(*) FROM pg_namespace WHERE nspname IN ('shared', 'usa', 'gbr', 'aus'))::int AS schemas, (SELECT count(*) FROM pg_extension WHERE extname = 'postgres_fdw')::int AS fdw`,
    );
    t.deepEqual(left, { servers: 0, schemas: 0, fdw: 0 }, region);
  }
  const again = await fleet.migrate({});
  t.deepEqual(
    again.map((r) => r.status),
    ['applied', 'applied', 'applied'],
  );
  const rerun = await fleet.migrate({});
  t.deepEqual(
    rerun.map((r) => r.status),
    ['nothing-to-do', 'nothing-to-do', 'nothing-to-do'],
  );
});

test.serial('status lists pending migrations and says when a region is behind', async (t) => {
  await fleet.migrate({ direction: 'down', regions: ['gbr'], all: false, count: 3 });
  const statuses = await statusFleet(fleet.config, [], true, fleet.dir, fleet.env);
  t.deepEqual(
    statuses.map((s) => [s.region, s.applied.length, s.pending]),
    [
      ['usa', 10, []],
      ['gbr', 7, ['0008_region_aus', '0009_reads', '0010_functions_identity']],
      ['aus', 10, []],
    ],
  );
  const up = await fleet.migrate({ regions: ['gbr'], all: false });
  t.deepEqual(
    up.map((r) => [r.region, r.status, r.migrations]),
    [['gbr', 'applied', ['0008_region_aus', '0009_reads', '0010_functions_identity']]],
  );
});

test.serial('an applied file that was edited is refused, naming the file, and nothing runs', async (t) => {
  const file = join(fleet.dir, 'usa', '0006_entity_identity.sql');
  const original = readFileSync(file, 'utf8');
  try {
    appendFileSync(file, '-- sneaky edit\n');
    const error = await t.throwsAsync(fleet.migrate({}));
    t.is(
      error?.message,
      `region "usa": ${join(fleet.dir, 'usa')}/ does not match residency.sum: 0006_entity_identity.sql was edited after it was generated (its checksum does not match residency.sum). Generated files are not edited by hand: change regions.yaml or templates/ and run \`pg-residency gen-migrations\`.`,
    );
  } finally {
    writeFileSync(file, original);
  }
});

test.serial('an applied file changed together with its residency.sum is still refused', async (t) => {
  const dir = join(fleet.dir, 'usa');
  const names = readdirSync(dir)
    .filter((n) => n.endsWith('.sql'))
    .sort();
  const originals = new Map(names.map((n) => [n, readFileSync(join(dir, n), 'utf8')]));
  const originalSum = readFileSync(join(dir, 'residency.sum'), 'utf8');
  try {
    writeFileSync(join(dir, '0002_schemas.sql'), `${originals.get('0002_schemas.sql')}-- regenerated differently\n`);
    writeFileSync(join(dir, 'residency.sum'), renderSum(names.map((n) => ({ name: n, content: readFileSync(join(dir, n), 'utf8') }))));
    const [result] = await fleet.migrate({ regions: ['usa'], all: false });
    t.is(result?.status, 'failed');
    t.is(
      result?.error?.message,
      'region "usa": 0002_schemas.sql was applied, then changed (its checksum differs from the one recorded when it ran). Applied migrations are never rewritten: restore the file from version control and put the change in a new migration.',
    );
  } finally {
    writeFileSync(join(dir, '0002_schemas.sql'), originals.get('0002_schemas.sql')!);
    writeFileSync(join(dir, 'residency.sum'), originalSum);
  }
});

test.serial('a failing migration leaves the region exactly as before and names the file and the error', async (t) => {
  await fleet.migrate({ direction: 'down', regions: ['aus'], all: false, count: 1 });
  // make the function migration fail halfway: a conflicting object already exists
  await fleet.query('aus', 'CREATE FUNCTION shared.get_identity(uuid) RETURNS int LANGUAGE sql AS $$ SELECT 1 $$');
  const results = await fleet.migrate({ regions: ['aus'], all: false });
  t.is(results[0]?.status, 'failed');
  t.is(
    results[0]!.error!.message,
    'region "aus": 0010_functions_identity.sql failed: cannot change return type of existing function [SQLSTATE 42P13]. Nothing of this run was applied in "aus" (one transaction); fix the cause and run migrate up again.',
  );
  // the functions created before the failing statement were rolled back too
  const [fns] = await fleet.query('aus', `SELECT count(*)::int AS n FROM pg_proc WHERE proname LIKE 'upsert_identity%'`);
  t.is(fns?.n, 0);
  await fleet.query('aus', 'DROP FUNCTION shared.get_identity(uuid)');
  t.is((await fleet.migrate({ regions: ['aus'], all: false }))[0]?.status, 'applied');
});

test.serial('a migrate while another holds the lock stops with a clear message and applies nothing; then it applies', async (t) => {
  await fleet.migrate({ direction: 'down', regions: ['gbr'], all: false, count: 4 });
  const applied = async () =>
    (await fleet.query('gbr', 'SELECT count(*)::int AS n, count(DISTINCT name)::int AS d FROM public.pg_residency_migrations'))[0];
  t.deepEqual(await applied(), { n: 6, d: 6 });
  // another migrate, as node-pg-migrate takes it: its advisory lock, held by another session
  const other = await fleet.client('gbr');
  const [held] = (await other.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [String(PG_MIGRATE_LOCK_ID)])).rows;
  t.true(held?.ok);
  const [blocked] = await fleet.migrate({ regions: ['gbr'], all: false });
  t.is(blocked?.status, 'failed');
  t.is(
    blocked?.error?.message,
    'region "gbr": another migrate is running on this database (its advisory lock is held); nothing was applied by this run. Wait for it to finish, then run migrate up again.',
  );
  t.deepEqual(await applied(), { n: 6, d: 6 });
  await other.query('SELECT pg_advisory_unlock($1)', [String(PG_MIGRATE_LOCK_ID)]);
  await other.end();
  const [after] = await fleet.migrate({ regions: ['gbr'], all: false });
  t.deepEqual(after?.migrations, ['0007_region_usa', '0008_region_aus', '0009_reads', '0010_functions_identity']);
  t.is(after?.status, 'applied');
  t.deepEqual(await applied(), { n: 10, d: 10 });
});

test.serial('an unreachable region is a clear error naming it; no region is touched', async (t) => {
  // every region has something pending, so that "untouched" can be seen
  await fleet.migrate({ direction: 'down', count: 1 });
  const appliedIn = async () =>
    Promise.all(
      ['usa', 'gbr', 'aus'].map(
        async (r) => (await fleet.query(r, 'SELECT count(*)::int AS n FROM public.pg_residency_migrations'))[0]?.n as number,
      ),
    );
  t.deepEqual(await appliedIn(), [9, 9, 9]);
  const config = {
    ...fleet.config,
    regions: fleet.config.regions.map((r) => (r.name === 'gbr' ? { ...r, url: 'postgres://postgres@127.0.0.1:1/residency' } : r)),
  };
  const results = await migrateFleet({ config, regions: [], all: true, direction: 'up', dir: fleet.dir, env: fleet.env, dryRun: false });
  t.deepEqual(
    results.map((r) => [r.region, r.status]),
    [
      ['usa', 'skipped'],
      ['gbr', 'failed'],
      ['aus', 'skipped'],
    ],
  );
  t.regex(
    results[1]!.error!.message,
    /^region "gbr": cannot connect to postgres:\/\/postgres@127\.0\.0\.1:1\/residency \(connect ECONNREFUSED 127\.0\.0\.1:1\)\. Is the server running and reachable\?/,
  );
  // usa, before gbr, and aus, after it, still have their pending migration
  t.deepEqual(await appliedIn(), [9, 9, 9]);
  t.deepEqual(
    (await fleet.migrate({})).map((r) => [r.region, r.status, r.migrations]),
    [
      ['usa', 'applied', ['0010_functions_identity']],
      ['gbr', 'applied', ['0010_functions_identity']],
      ['aus', 'applied', ['0010_functions_identity']],
    ],
  );
});

test.serial('dry-run prints the SQL that would run and changes nothing', async (t) => {
  await fleet.migrate({ direction: 'down', regions: ['usa'], all: false, count: 1 });
  const [result] = await fleet.migrate({ regions: ['usa'], all: false, dryRun: true });
  t.is(result?.status, 'dry-run');
  t.deepEqual(result?.migrations, ['0010_functions_identity']);
  t.true(result!.sql!.startsWith('-- usa: 0010_functions_identity.sql\n-- Up Migration\n'));
  const [fns] = await fleet.query('usa', `SELECT count(*)::int AS n FROM pg_proc WHERE proname = 'upsert_identity'`);
  t.is(fns?.n, 0);
  await fleet.migrate({ regions: ['usa'], all: false });
});
