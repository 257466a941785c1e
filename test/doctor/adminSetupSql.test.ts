import test from 'ava';
import { adminSetupSql, adminSql } from '../../src/doctor/adminSetupSql.js';

test('the admin contract on 15+: migrator, database, postgres_fdw with USAGE, dblink in its own schema for the migrator only, SET on the log settings', (t) => {
  const setup = adminSetupSql({ major: 15, migrator: 'migrator', database: 'residency', needsUuidOssp: true });
  t.deepEqual(setup.cluster, [`CREATE ROLE "migrator" LOGIN CREATEROLE PASSWORD '...';`, 'CREATE DATABASE "residency" OWNER "migrator";']);
  t.deepEqual(setup.database, [
    'CREATE EXTENSION IF NOT EXISTS postgres_fdw;',
    'GRANT USAGE ON FOREIGN DATA WRAPPER postgres_fdw TO "migrator";',
    'CREATE SCHEMA IF NOT EXISTS "residency_dblink";',
    'CREATE EXTENSION IF NOT EXISTS dblink SCHEMA "residency_dblink";',
    'REVOKE ALL ON SCHEMA "residency_dblink" FROM PUBLIC;',
    'REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA "residency_dblink" FROM PUBLIC;',
    'GRANT USAGE ON SCHEMA "residency_dblink" TO "migrator";',
    'GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA "residency_dblink" TO "migrator";',
    'GRANT SET ON PARAMETER log_min_messages, log_min_error_statement, log_error_verbosity, log_statement, log_min_duration_statement, log_transaction_sample_rate, log_min_duration_sample, log_parameter_max_length, log_parameter_max_length_on_error TO "migrator";',
  ]);
  t.deepEqual(setup.server, ['ALTER SYSTEM SET max_prepared_transactions = 100;']);
});

test('10-12 create uuid-ossp for the migrator when a default calls it (13+ trusts the database owner); no SET privilege before 15', (t) => {
  const on = (major: 10 | 12 | 13 | 14, needsUuidOssp: boolean) =>
    adminSetupSql({ major, migrator: 'm', database: 'd', needsUuidOssp }).database;
  t.true(on(10, true).includes('CREATE EXTENSION IF NOT EXISTS "uuid-ossp";'));
  t.true(on(12, true).includes('CREATE EXTENSION IF NOT EXISTS "uuid-ossp";'));
  t.false(on(13, true).includes('CREATE EXTENSION IF NOT EXISTS "uuid-ossp";'));
  t.false(on(10, false).includes('CREATE EXTENSION IF NOT EXISTS "uuid-ossp";'));
  t.false(on(14, true).some((s) => s.startsWith('GRANT SET ON PARAMETER')));
  t.is(on(14, true).length, 8);
});

test('names are quoted: a hostile migrator and database name stay one identifier each', (t) => {
  const setup = adminSetupSql({
    major: 18,
    migrator: 'we"ird',
    database: 'Upper Case',
    needsUuidOssp: false,
    maxPreparedTransactions: 250,
  });
  t.is(setup.cluster[1], 'CREATE DATABASE "Upper Case" OWNER "we""ird";');
  t.is(setup.database[1], 'GRANT USAGE ON FOREIGN DATA WRAPPER postgres_fdw TO "we""ird";');
  t.deepEqual(setup.server, ['ALTER SYSTEM SET max_prepared_transactions = 250;']);
});

test('10-14: the link role log settings an admin applies, as ALTER ROLE statements', (t) => {
  t.deepEqual(adminSql.linkRoleSettings(10, 'residency_link'), [
    `ALTER ROLE "residency_link" SET log_min_messages = 'fatal';`,
    `ALTER ROLE "residency_link" SET log_min_error_statement = 'panic';`,
    `ALTER ROLE "residency_link" SET log_error_verbosity = 'terse';`,
    `ALTER ROLE "residency_link" SET log_statement = 'none';`,
    `ALTER ROLE "residency_link" SET log_min_duration_statement = '-1';`,
  ]);
});
