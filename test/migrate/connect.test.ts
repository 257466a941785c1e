import test from 'ava';
import { ResidencyError } from '../../src/errors.js';
import { regionError } from '../../src/migrate/connect.js';

test('a failing statement is one MIGRATION error naming the region and the SQLSTATE, with its cause, in every command', (t) => {
  const cause = Object.assign(new Error('relation "shared.identity" does not exist'), { code: '42P01' });
  const error = regionError('usa', cause, 'is it migrated? `pg-residency migrate status --all` tells');
  t.is(error.code, 'MIGRATION');
  t.is(
    error.message,
    'region "usa": relation "shared.identity" does not exist [SQLSTATE 42P01]; is it migrated? `pg-residency migrate status --all` tells',
  );
  t.is(error.cause, cause);
  t.is(regionError('gbr', new Error('boom')).message, 'region "gbr": boom');
});

test('an error that is a ResidencyError already (a refused connection) keeps its code and message', (t) => {
  const connection = new ResidencyError('CONNECTION', 'region "gbr": cannot connect');
  t.is(regionError('gbr', connection), connection);
});
