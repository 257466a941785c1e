import test from 'ava';
import { linkPasswordEnv } from '../../../src/doctor/rules/linkPasswordEnv.js';
import { input, readySnapshot } from '../doctorFixture.js';

test('the link password variable unset: named, its value never asked for', (t) => {
  const [f] = linkPasswordEnv(input(readySnapshot(), 'gbr', []));
  t.is(f?.id, 'link-password-env');
  t.is(f?.level, 'error');
  t.regex(f!.detail, /^PG_RESIDENCY_LINK_PASSWORD is not set/);
  t.regex(f!.fix, /^export PG_RESIDENCY_LINK_PASSWORD=<the link role's password>/);
  t.deepEqual(linkPasswordEnv(input(readySnapshot(), 'gbr', ['PG_RESIDENCY_LINK_PASSWORD'])), []);
});
