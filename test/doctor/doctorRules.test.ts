import test from 'ava';
import { doctorRules } from '../../src/doctor/doctorRules.js';
import { input, readySnapshot } from './doctorFixture.js';

test('a ready region (non-superuser migrator under the admin contract, migrated) has no finding but the warning that its links have no pooler', (t) => {
  t.deepEqual(
    doctorRules(input(readySnapshot())).map((f) => [f.level, f.id]),
    [['warning', 'no-link-pooler']],
  );
});

test('errors come before warnings', (t) => {
  const findings = doctorRules(
    input(readySnapshot({ ssl: false, settings: { ...readySnapshot().settings, max_prepared_transactions: '0' } })),
  );
  t.deepEqual(
    findings.map((f) => [f.level, f.id]),
    [
      ['error', 'max-prepared-transactions'],
      ['warning', 'connection-without-tls'],
      ['warning', 'no-link-pooler'],
    ],
  );
});
