import test from 'ava';
import { preparedBudget } from '../../../src/doctor/preparedBudget.js';
import { maxPreparedTransactions } from '../../../src/doctor/rules/maxPreparedTransactions.js';
import { fleetOf, input, readySnapshot } from '../doctorFixture.js';

const settings = (max_prepared_transactions: string, max_connections: string) =>
  input(readySnapshot({ settings: { ...readySnapshot().settings, max_prepared_transactions, max_connections } }));

test('max_prepared_transactions 0 (issue 17, finding 6) blocks, with the setting sized from the other regions and the restart', (t) => {
  const [f] = maxPreparedTransactions(settings('0', '250'));
  t.is(f?.id, 'max-prepared-transactions');
  t.is(f?.level, 'error');
  // gbr of 3 regions: all 3 (its own loopback parts are prepared too), 250 connections each
  t.true(f!.fix.startsWith('ALTER SYSTEM SET max_prepared_transactions = 750; -- then restart the server'), f!.fix);
  t.deepEqual(maxPreparedTransactions(input(readySnapshot())), []);
});

test('fewer slots than the fleet writes in flight (issue 20): a warning naming the budget and each share', (t) => {
  const [f] = maxPreparedTransactions(settings('20', '60'));
  t.is(f?.id, 'prepared-transactions-budget');
  t.is(f?.level, 'warning');
  t.regex(
    f!.detail,
    /^max_prepared_transactions is 20, but the fleet's regions \(this one included\) may have 180 writes in flight at once \(usa 60, gbr 60, aus 60: /,
  );
  t.true(f!.fix.startsWith('ALTER SYSTEM SET max_prepared_transactions = 180;'));
  t.deepEqual(maxPreparedTransactions(settings('180', '60')), []);
});

test("a pooled region's share is its gate, writes_in_flight (default 2 x pool_size), not its sessions; one rule for the setting", (t) => {
  const config = fleetOf(`
  - { name: usa, url: "postgres://m@db.usa.example:5432/residency", postgres: 10, pooler: { port: 6432, pool_size: 8 } }
  - { name: gbr, url: "postgres://m@db.gbr.example:5432/residency", postgres: 15, pooler: { port: 6432, pool_size: 8, writes_in_flight: 12 } }
  - { name: aus, url: "postgres://m@db.aus.example:5432/residency", postgres: 18 }
`);
  const run = (max_prepared_transactions: string) =>
    maxPreparedTransactions({
      config,
      region: config.regions[1]!,
      snapshot: readySnapshot({ settings: { ...readySnapshot().settings, max_prepared_transactions, max_connections: '60' } }),
      envSet: new Set(),
    });
  // gbr: usa's gate 16 (2 x pool_size 8), its own 12, aus ungated (assumed like gbr's max_connections 60)
  const [f] = run('40');
  t.is(f?.id, 'prepared-transactions-budget');
  t.is(
    f!.detail,
    'max_prepared_transactions is 40, but the fleet\'s regions (this one included) may have 88 writes in flight at once (usa 16 (writes_in_flight), gbr 12 (writes_in_flight), aus 60: aus assumed to allow max_connections 60 like this server, with no writes_in_flight bound), each holding a part prepared here: under that load writes fail with RS013 ("full")',
  );
  t.regex(
    f!.fix,
    /^ALTER SYSTEM SET max_prepared_transactions = 88; .*or bound each region's writes in flight \(a pooler's writes_in_flight/,
  );
  t.deepEqual(run('88'), []);
  // only one finding on the setting whatever the pools: the pooler rule does not judge it
  t.is(run('0').length, 1);
  t.is(run('0')[0]!.id, 'max-prepared-transactions');
});

test('the budget is the sum of every region write concurrency, its own included, known or assumed', (t) => {
  t.deepEqual(preparedBudget({ region: 'gbr', regions: ['usa', 'gbr', 'aus'], writers: { usa: 32, gbr: 500 }, assumed: 100 }), {
    needed: 632,
    shares: ['usa 32', 'gbr 500', 'aus 100'],
    assumed: ['aus'],
  });
  // a region alone holds its own writes' parts
  t.is(preparedBudget({ region: 'usa', regions: ['usa'], writers: {}, assumed: 100 }).needed, 100);
});

test('with a gate on every region the budget is the sum of the gates, whatever the sessions (issue 20)', (t) => {
  const gates = { usa: 8, gbr: 8, aus: 8 };
  for (const sessions of [32, 100, 5000])
    t.is(preparedBudget({ region: 'gbr', regions: ['usa', 'gbr', 'aus'], writers: {}, gates, assumed: sessions }).needed, 24);
  // a gate above the sessions does not count more than they can write
  t.deepEqual(preparedBudget({ region: 'usa', regions: ['usa', 'gbr'], writers: { usa: 4 }, gates: { usa: 8, gbr: 8 }, assumed: 100 }), {
    needed: 12,
    shares: ['usa 4', 'gbr 8 (writes_in_flight)'],
    assumed: [],
  });
});
