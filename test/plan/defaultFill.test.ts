import test from 'ava';
import { defaultFill } from '../../src/plan/defaultFill.js';

const AT = '2026-06-01T12:00:00.000Z';

test('a constant default fills existing rows as it is; a time, with the time the step was generated; anything else is refused', (t) => {
  for (const constant of ["'basic'", "'it''s'", '0', '-1.5', 'true', "'{}'::jsonb", "'{a,b}'::text[]", "'5'::numeric(10, 2)"])
    t.deepEqual(defaultFill(constant, AT), { kind: 'constant' }, constant);
  for (const time of ['now()', 'CURRENT_TIMESTAMP', 'current_date', 'transaction_timestamp()', 'now()::date', 'clock_timestamp()'])
    t.deepEqual(defaultFill(time, AT), { kind: 'generatedAt', at: AT }, time);
  for (const other of ['gen_random_uuid()', "now() + interval '1 day'", 'random()', "'a' || 'b'"]) {
    const fill = defaultFill(other, AT);
    t.is(fill.kind, 'refused', other);
    if (fill.kind === 'refused') t.regex(fill.why, /is not a constant: existing rows would get a different value in each region/);
  }
});
