import test from 'ava';
import { redactSecrets, redactUrl } from '../../src/config/redact.js';
import { ResidencyError } from '../../src/errors.js';
import { formatError, jsonError } from '../../src/cli/context.js';

test('redactUrl hides the user info password and password query parameters', (t) => {
  t.is(redactUrl('postgres://app:s3cret@db:5432/x'), 'postgres://app:***@db:5432/x');
  t.is(redactUrl('postgres://app@db:5432/x?password=s3cret'), 'postgres://app@db:5432/x?password=***');
  t.is(
    redactUrl('postgresql://app:a@db/x?sslmode=verify-full&password=b&sslpassword=c&application_name=z'),
    'postgresql://app:***@db/x?sslmode=verify-full&password=***&sslpassword=***&application_name=z',
  );
  t.is(redactUrl('postgres://app@db/x?PASSWORD=b#frag'), 'postgres://app@db/x?PASSWORD=***#frag');
  t.is(redactUrl('postgres://app@db/x?sslmode=require'), 'postgres://app@db/x?sslmode=require');
});

test('redactSecrets hides passwords of urls and libpq strings anywhere in a text', (t) => {
  t.is(
    redactSecrets('cannot connect to postgres://a:pw1@h/d?x=1&password=pw2 (ECONNREFUSED); also host=h password=pw3 user=u'),
    'cannot connect to postgres://a:***@h/d?x=1&password=*** (ECONNREFUSED); also host=h password=*** user=u',
  );
  t.is(redactSecrets("dbname=x password='p w\\'4' sslmode=require"), 'dbname=x password=*** sslmode=require');
  // not a password: an option name that merely starts with it
  t.is(redactSecrets("password_required 'false'"), "password_required 'false'");
});

test('every ResidencyError message and every error the CLI prints is redacted', (t) => {
  const url = 'postgres://app:userinfo-secret@127.0.0.1:1/x?password=query-secret';
  const error = new ResidencyError('CONNECTION', `region "usa": cannot connect to ${url}`);
  t.false(/secret/.test(error.message), error.message);
  t.false(/secret/.test(formatError(new Error(url))));
  t.false(/secret/.test(jsonError(new Error(url)).message));
});
