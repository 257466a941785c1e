import test from 'ava';
import { maxPreparedTransactions } from '../../../src/doctor/rules/maxPreparedTransactions.js';
import { input, readySnapshot } from '../doctorFixture.js';

test('max_prepared_transactions 0 (issue 17, finding 6) blocks, with the setting sized from max_connections and the restart', (t) => {
  const [f] = maxPreparedTransactions(
    input(readySnapshot({ settings: { ...readySnapshot().settings, max_prepared_transactions: '0', max_connections: '250' } })),
  );
  t.is(f?.id, 'max-prepared-transactions');
  t.is(f?.level, 'error');
  t.true(f!.fix.startsWith('ALTER SYSTEM SET max_prepared_transactions = 250; -- then restart the server'));
  t.deepEqual(maxPreparedTransactions(input(readySnapshot())), []);
});
