import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { legacyRuntimeSql } from '../../src/plan/legacyRuntimeSql.js';
import { loadSqlParser } from '../../src/sql/parseSql.js';

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../fixtures/history-0.2/usa/${name}`, import.meta.url)), 'utf8');

test.before(async () => {
  await loadSqlParser();
});

test('the registry file of a 0.2 history yields bind_server and its revoke, and its drop', (t) => {
  const found = legacyRuntimeSql(fixture('0003_registry.sql'), 'residency', ['bind_server']);
  t.truthy(found);
  t.regex(found!.up, /^CREATE FUNCTION "residency"\."bind_server"\(server text\)/);
  t.regex(found!.up, /REVOKE ALL ON FUNCTION "residency"\."bind_server"\(text\) FROM PUBLIC;$/);
  t.notRegex(found!.up, /CREATE TABLE|INSERT INTO/);
  t.is(found!.down, 'DROP FUNCTION "residency"."bind_server"(text);');
});

test('the two-phase file yields every function of the residency schema and no table, server or extension', (t) => {
  const found = legacyRuntimeSql(fixture('0005_two_phase.sql'), 'residency');
  t.truthy(found);
  const created = [...found!.up.matchAll(/^CREATE FUNCTION "residency"\."(\w+)"/gm)].map((m) => m[1]);
  t.deepEqual(created.sort(), [
    'claim',
    'connect',
    'connstr',
    'decide',
    'drain',
    'resolve',
    'test_pause',
    'tx_abort',
    'tx_finish',
    'tx_open',
    'wave',
  ]);
  t.notRegex(found!.up, /CREATE (TABLE|SERVER|SCHEMA|EXTENSION|USER MAPPING)/);
  t.is(found!.down.split('\n').length, 11);
  t.true(found!.down.split('\n').every((l) => l.startsWith('DROP FUNCTION "residency".')));
});

test('the entity file yields its apply function only', (t) => {
  const found = legacyRuntimeSql(fixture('0006_entity_identity.sql'), 'shared', ['apply_identity']);
  t.regex(found!.up, /^CREATE FUNCTION "shared"\."apply_identity"\(part jsonb\)/);
  t.regex(found!.up, /GRANT EXECUTE ON FUNCTION "shared"\."apply_identity"\(jsonb\) TO "residency_link";$/);
  t.is(found!.down, 'DROP FUNCTION "shared"."apply_identity"(jsonb);');
});

test('a file that creates none of them yields nothing', (t) => {
  t.is(legacyRuntimeSql(fixture('0002_schemas.sql'), 'residency'), undefined);
});
