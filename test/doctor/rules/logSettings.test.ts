import test from 'ava';
import { logSettings } from '../../../src/doctor/rules/logSettings.js';
import { input, readySnapshot } from '../doctorFixture.js';

const ready = readySnapshot();

test("log_statement all for the server, mod for the database: each with its scope's fix", (t) => {
  const findings = logSettings(
    input(
      readySnapshot({
        settings: { ...ready.settings, log_statement: 'all' },
        roleSettings: [...ready.roleSettings, { role: '', database: 'residency', config: ['log_statement=mod'] }],
      }),
    ),
  );
  t.deepEqual(
    findings.map((f) => [f.id, f.title, f.fix]),
    [
      ['log-statement', 'log_statement is all (the server)', "ALTER SYSTEM SET log_statement = 'none';\nSELECT pg_reload_conf();"],
      ['log-statement', 'log_statement is mod (database residency)', `ALTER DATABASE "residency" SET log_statement = 'none';`],
    ],
  );
});

test('log_min_duration_statement >= 0 and (13+) log_parameter_max_length_on_error != 0', (t) => {
  const findings = logSettings(
    input(readySnapshot({ settings: { ...ready.settings, log_min_duration_statement: '0', log_parameter_max_length_on_error: '-1' } })),
  );
  t.deepEqual(
    findings.map((f) => [f.id, f.fix]),
    [
      ['log-min-duration-statement', "ALTER SYSTEM SET log_min_duration_statement = '-1';\nSELECT pg_reload_conf();"],
      ['log-parameter-max-length-on-error', "ALTER SYSTEM SET log_parameter_max_length_on_error = '0';\nSELECT pg_reload_conf();"],
    ],
  );
  // the setting does not exist before 13
  t.deepEqual(
    logSettings(input(readySnapshot({ major: 12, settings: { ...ready.settings, log_parameter_max_length_on_error: '-1' } }))),
    [],
  );
});

test("the link role's log_min_error_statement below panic, its own or inherited from the database", (t) => {
  const inherited = logSettings(input(readySnapshot({ roleSettings: [] })));
  t.deepEqual(
    inherited.map((f) => [f.id, f.title, f.fix]),
    [
      [
        'log-min-error-statement',
        'log_min_error_statement is error for the link role',
        `ALTER ROLE "residency_link" SET log_min_error_statement = 'panic';`,
      ],
    ],
  );
  // a database-specific setting of the link role wins over its general one
  const specific = readySnapshot({
    roleSettings: [...ready.roleSettings, { role: 'residency_link', database: 'residency', config: ['log_min_error_statement=warning'] }],
  });
  t.is(logSettings(input(specific))[0]?.title, 'log_min_error_statement is warning for the link role');
  t.deepEqual(logSettings(input(ready)), []);
  t.deepEqual(logSettings(input(readySnapshot({ roleSettings: [], linkRoleExists: false }))), []);
});
