import test from 'ava';
import { preparedBudget } from '../../../src/doctor/preparedBudget.js';
import { maxPreparedTransactions } from '../../../src/doctor/rules/maxPreparedTransactions.js';
import { input, readySnapshot } from '../doctorFixture.js';

const settings = (max_prepared_transactions: string, max_connections: string) =>
  input(readySnapshot({ settings: { ...readySnapshot().settings, max_prepared_transactions, max_connections } }));

test('max_prepared_transactions 0 (issue 17, finding 6) blocks, with the setting sized from the other regions and the restart', (t) => {
  const [f] = maxPreparedTransactions(settings('0', '250'));
  t.is(f?.id, 'max-prepared-transactions');
  t.is(f?.level, 'error');
  // gbr of 3 regions: the 2 others, assumed to allow 250 connections each
  t.true(f!.fix.startsWith('ALTER SYSTEM SET max_prepared_transactions = 500; -- then restart the server'), f!.fix);
  t.deepEqual(maxPreparedTransactions(input(readySnapshot())), []);
});

test('fewer slots than the other regions writes in flight (issue 20): a warning naming the budget and each share', (t) => {
  const [f] = maxPreparedTransactions(settings('20', '60'));
  t.is(f?.id, 'prepared-transactions-budget');
  t.is(f?.level, 'warning');
  t.regex(f!.detail, /^max_prepared_transactions is 20, but the other regions may have 120 writes in flight at once \(usa 60, aus 60: /);
  t.true(f!.fix.startsWith('ALTER SYSTEM SET max_prepared_transactions = 120;'));
  t.deepEqual(maxPreparedTransactions(settings('120', '60')), []);
});

test('the budget is the sum of the other regions write concurrency, known or assumed', (t) => {
  t.deepEqual(preparedBudget({ region: 'gbr', regions: ['usa', 'gbr', 'aus'], writers: { usa: 32, gbr: 500 }, assumed: 100 }), {
    needed: 132,
    shares: ['usa 32', 'aus 100'],
    assumed: ['aus'],
  });
  t.is(preparedBudget({ region: 'usa', regions: ['usa'], writers: {}, assumed: 100 }).needed, 0);
});
