import test from 'ava';
import type { DoctorSnapshot } from '../../../src/doctor/doctorSnapshot.js';
import { linkPooler } from '../../../src/doctor/rules/linkPooler.js';
import { fleetOf, input, readySnapshot } from '../doctorFixture.js';

const POOLED = fleetOf(`
  - { name: usa, url: "postgres://m@db.usa.example:5432/residency", postgres: 10, pooler: { port: 6432, pool_size: 40 } }
  - { name: gbr, url: "postgres://m@db.gbr.example:5432/residency", postgres: 15, pooler: { port: 6432, pool_size: 40 } }
  - { name: aus, url: "postgres://m@db.aus.example:5432/residency", postgres: 18, pooler: { port: 6432, pool_size: 40 } }
`);

const probe = (modes: Record<string, string>): DoctorSnapshot['pooler'] => ({
  reachable: true,
  databases: Object.entries(modes).map(([name, poolMode]) => ({ name, poolMode, poolSize: 40 })),
});
const run = (snapshot: DoctorSnapshot) => linkPooler({ config: POOLED, region: POOLED.regions[1]!, snapshot, envSet: new Set() });

test('no pooler in regions.yaml: a warning naming the region, how many regions its sessions link to, and the fix', (t) => {
  const findings = linkPooler(input(readySnapshot()));
  t.deepEqual(
    findings.map((f) => [f.id, f.level]),
    [['no-link-pooler', 'warning']],
  );
  t.regex(findings[0]!.detail, /^region "gbr" has no link pooler .* to each of the 2 other regions/);
  t.regex(findings[0]!.fix, /pooler: \{ host, port, pool_size \} under it in regions\.yaml, then migrate up/);
});

test('a fleet of one region needs no link pooler: nothing', (t) => {
  const one = fleetOf(`
  - { name: usa, url: "postgres://m@db.usa.example:5432/residency", postgres: 15 }
`);
  t.deepEqual(linkPooler({ config: one, region: one.regions[0]!, snapshot: readySnapshot(), envSet: new Set() }), []);
});

test('a pooler serving every region in transaction mode, pools that fit: nothing', (t) => {
  t.deepEqual(
    run(
      readySnapshot({
        pooler: probe({ usa: 'transaction', gbr: 'transaction', aus: 'transaction' }),
        settings: { max_connections: '200', max_prepared_transactions: '100' },
      }),
    ),
    [],
  );
});

test('an unreachable pooler is an error naming where it was looked for', (t) => {
  const [f] = run(readySnapshot({ pooler: { reachable: false, error: 'connect ECONNREFUSED', databases: [] } }));
  t.is(f?.id, 'pooler-unreachable');
  t.is(f?.level, 'error');
  t.regex(f!.detail, /db\.gbr\.example:6432.*ECONNREFUSED/);
});

test('statement mode is an error, session mode a warning, a missing region an error', (t) => {
  const findings = run(
    readySnapshot({
      pooler: probe({ usa: 'statement', gbr: 'session' }),
      settings: { max_connections: '200', max_prepared_transactions: '100' },
    }),
  );
  t.deepEqual(
    findings.map((f) => [f.id, f.level]),
    [
      ['pooler-pool-mode', 'error'],
      ['pooler-pool-mode', 'warning'],
      ['pooler-database-missing', 'error'],
    ],
  );
  t.regex(findings[2]!.fix, /aus = host=db\.aus\.example port=5432 dbname=residency/);
});

test('pools larger than max_connections allow are a warning; max_prepared_transactions is left to its own rule', (t) => {
  const findings = run(
    readySnapshot({
      pooler: probe({ usa: 'transaction', gbr: 'transaction', aus: 'transaction' }),
      settings: { max_connections: '100', max_prepared_transactions: '1' },
    }),
  );
  t.deepEqual(
    findings.map((f) => f.id),
    ['pooler-pool-size-connections'],
  );
  t.regex(findings[0]!.detail, /may open 120 link sessions here/);
});
