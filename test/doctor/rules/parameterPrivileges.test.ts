import test from 'ava';
import { linkRoleLogSettings } from '../../../src/plan/linkRoleSettings.js';
import { parameterPrivileges } from '../../../src/doctor/rules/parameterPrivileges.js';
import { input, readySnapshot } from '../doctorFixture.js';

test('15+: the log settings the migrator may not SET, granted by name', (t) => {
  const privileges = linkRoleLogSettings(15).map((s) => ({
    name: s.name,
    granted: s.name !== 'log_min_messages' && s.name !== 'log_statement',
  }));
  const [f] = parameterPrivileges(input(readySnapshot({ parameterPrivileges: privileges })));
  t.is(f?.id, 'log-parameter-privilege');
  t.is(f?.level, 'error');
  t.is(f?.fix, 'GRANT SET ON PARAMETER log_min_messages, log_statement TO "migrator";');
});

test('10-14: a warning with the ALTER ROLE statements for the admin, until the link role has them', (t) => {
  const fresh = readySnapshot({ major: 10, parameterPrivileges: [], roleSettings: [], linkRoleExists: false });
  const [f] = parameterPrivileges(input(fresh, 'usa'));
  t.is(f?.id, 'link-role-log-settings');
  t.is(f?.level, 'warning');
  t.regex(f!.detail, /once `pg-residency migrate up` has created the link role "residency_link"/);
  t.true(f!.fix.startsWith(`ALTER ROLE "residency_link" SET log_min_messages = 'fatal';\n`));
  const applied = readySnapshot({
    major: 10,
    parameterPrivileges: [],
    roleSettings: [{ role: 'residency_link', database: '', config: linkRoleLogSettings(10).map((s) => `${s.name}=${s.value}`) }],
  });
  t.deepEqual(parameterPrivileges(input(applied, 'usa')), []);
});

test('a superuser sets them itself', (t) => {
  t.deepEqual(parameterPrivileges(input(readySnapshot({ superuser: true, parameterPrivileges: [] }))), []);
  t.deepEqual(parameterPrivileges(input(readySnapshot({ major: 11, superuser: true, roleSettings: [], linkRoleExists: false }))), []);
});
