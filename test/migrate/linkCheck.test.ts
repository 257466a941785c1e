import test from 'ava';
import { readFileSync } from 'node:fs';
import { parseConfig } from '../../src/config/parseConfig.js';
import { libpqReason, linkCheckError, linkFix } from '../../src/migrate/linkCheck.js';

const config = parseConfig(readFileSync('regions.yaml', 'utf8'), 'regions.yaml', {});
const gbr = config.regions.find((r) => r.name === 'gbr')!;

test("libpqReason takes the error's DETAIL (libpq's message) on one line, else its message", (t) => {
  t.is(
    libpqReason({
      message: 'could not connect to server "gbr"',
      detail: 'root certificate file "/x/root.crt" does not exist\nEither provide the file or change sslmode.\n',
    }),
    'root certificate file "/x/root.crt" does not exist Either provide the file or change sslmode.',
  );
  t.is(libpqReason(new Error('timeout expired')), 'timeout expired');
});

test('linkFix says what to do from what libpq said', (t) => {
  t.regex(linkFix(config, 'usa', gbr, 'root certificate file "/x/root.crt" does not exist'), /^set fdw\.sslrootcert of region "gbr"/);
  t.regex(linkFix(config, 'usa', gbr, 'SSL error: certificate verify failed'), /^set fdw\.sslrootcert of region "gbr"/);
  t.regex(
    linkFix(config, 'usa', gbr, 'server certificate for "localhost" does not match host name "gbr.internal"'),
    /^the certificate of "gbr" is not valid for the name its peers use/,
  );
  t.regex(
    linkFix(config, 'usa', gbr, 'FATAL: password authentication failed for user "residency_link"'),
    /set PG_RESIDENCY_LINK_PASSWORD to the same value for every region's migrate/,
  );
  t.regex(linkFix(config, 'usa', gbr, 'FATAL: no pg_hba.conf entry for host "10.0.0.1"'), /pg_hba\.conf and reload/);
  t.regex(linkFix(config, 'usa', gbr, 'Connection refused'), /^check that "gbr" is up and that its fdw host and port/);
});

test('linkCheckError names the region, every link (the loopback too), the reason and the fix', (t) => {
  const error = linkCheckError(config, gbr, [
    { from: 'gbr', to: 'gbr', way: 'dblink', reason: 'root certificate file "/x" does not exist' },
    { from: 'gbr', to: 'usa', way: 'postgres_fdw', reason: 'Connection refused' },
  ]);
  t.is(error.code, 'MIGRATION');
  t.regex(error.message, /^region "gbr": its migrations are applied, but 2 links do not work as the link role "residency_link"/);
  t.regex(
    error.message,
    /\n {2}gbr -> gbr \(loopback\) by dblink: root certificate file "\/x" does not exist\n {4}fix: set fdw\.sslrootcert/,
  );
  t.regex(error.message, /\n {2}gbr -> usa by postgres_fdw: Connection refused\n {4}fix: check that "usa" is up/);
});
