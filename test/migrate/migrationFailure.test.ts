import test from 'ava';
import { migrationFailure } from '../../src/migrate/migrationFailure.js';
import type { MigrationFile } from '../../src/migrate/regionMigrations.js';

const content =
  '-- header\n-- Up Migration\nCREATE TABLE a (x int);\nCREATE TABLE b (y nosuchtype);\n\n-- Down Migration\nDROP TABLE b;\nDROP TABLE a;\n';
const file: MigrationFile = { name: '0004_x', file: '0004_x.sql', content, phase: 'local', sha256: '' };

test('a PostgreSQL error position becomes the file line and statement', (t) => {
  // position is 1-based within the up section PostgreSQL received
  const upSection = content.slice(content.indexOf('-- Up Migration'));
  const position = upSection.indexOf('nosuchtype') + 1;
  const error = migrationFailure('usa', 'up', file, {
    message: 'type "nosuchtype" does not exist',
    code: '42704',
    position: String(position),
  });
  t.is(error.code, 'MIGRATION');
  t.is(
    error.message,
    'region "usa": 0004_x.sql line 4 (CREATE TABLE b (y nosuchtype);) failed: type "nosuchtype" does not exist [SQLSTATE 42704]. Nothing of this run was applied in "usa" (one transaction); fix the cause and run migrate up again.',
  );
});

test('positions in the down section count from the down marker', (t) => {
  // node-pg-migrate cuts the section where its marker regex matches, which
  // takes in the blank line before the marker
  const downSection = content.slice(content.search(/^\s*--[\s-]*down\s+migration/im));
  const error = migrationFailure('gbr', 'down', file, {
    message: 'table "b" does not exist',
    code: '42P01',
    position: String(downSection.indexOf('DROP TABLE a') + 1),
  });
  t.regex(error.message, /^region "gbr": 0004_x\.sql line 8 \(DROP TABLE a;\) failed/);
});
