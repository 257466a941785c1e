import test from 'ava';
import { preparedBudget } from '../../../src/doctor/preparedBudget.js';
import { maxPreparedTransactions } from '../../../src/doctor/rules/maxPreparedTransactions.js';
import { parseConfig } from '../../../src/config/parseConfig.js';
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

test("one rule for the setting: a link pooler bounds its region's share by twice its pool_size (pool sizes are an input)", (t) => {
  const config = parseConfig(
    `
regions:
  - { name: usa, url: "postgres://m@db.usa.example:5432/residency", postgres: 10, pooler: { port: 6432, pool_size: 8 } }
  - { name: gbr, url: "postgres://m@db.gbr.example:5432/residency", postgres: 15, pooler: { port: 6432, pool_size: 8 } }
  - { name: aus, url: "postgres://m@db.aus.example:5432/residency", postgres: 18 }
entities:
  - name: identity
    key: { name: uuid, type: uuid }
    resident: [{ name: name, type: text }]
`,
    'regions.yaml',
    {},
  );
  const run = (max_prepared_transactions: string) =>
    maxPreparedTransactions({
      config,
      region: config.regions[1]!,
      snapshot: readySnapshot({ settings: { ...readySnapshot().settings, max_prepared_transactions, max_connections: '60' } }),
      envSet: new Set(),
    });
  // gbr: usa's pool (2 x 8) and aus without a pooler (max_connections 60, assumed like gbr's)
  const [f] = run('40');
  t.is(f?.id, 'prepared-transactions-budget');
  t.is(
    f!.detail,
    'max_prepared_transactions is 40, but the other regions may have 76 writes in flight at once (usa 16 (2 x pool_size 8), aus 60: aus assumed to allow max_connections 60 like this server), each holding a part prepared here: under that load writes fail with RS013 ("full")',
  );
  t.regex(
    f!.fix,
    /^ALTER SYSTEM SET max_prepared_transactions = 76; .*or bound the writers or lower pool_size in regions\.yaml and the poolers/,
  );
  t.deepEqual(run('76'), []);
  // only one finding on the setting whatever the pools: the pooler rule no longer judges it
  t.is(run('0').length, 1);
  t.is(run('0')[0]!.id, 'max-prepared-transactions');
});

test('the budget is the sum of the other regions write concurrency, known or assumed', (t) => {
  t.deepEqual(preparedBudget({ region: 'gbr', regions: ['usa', 'gbr', 'aus'], writers: { usa: 32, gbr: 500 }, assumed: 100 }), {
    needed: 132,
    shares: ['usa 32', 'aus 100'],
    assumed: ['aus'],
  });
  t.is(preparedBudget({ region: 'usa', regions: ['usa'], writers: {}, assumed: 100 }).needed, 0);
  // a pooled region: twice its pool_size, never more than its sessions
  t.deepEqual(
    preparedBudget({ region: 'gbr', regions: ['usa', 'gbr', 'aus'], writers: { aus: 10 }, pools: { usa: 4, aus: 8 }, assumed: 100 }),
    {
      needed: 18,
      shares: ['usa 8 (2 x pool_size 4)', 'aus 10'],
      assumed: [],
    },
  );
});
