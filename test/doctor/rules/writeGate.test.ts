import test from 'ava';
import { writeGate } from '../../../src/doctor/rules/writeGate.js';
import { fleetOf, readySnapshot } from '../doctorFixture.js';

const config = fleetOf(`
  - { name: usa, url: "postgres://m@db.usa.example:5432/residency", postgres: 10, pooler: { port: 6432, pool_size: 4 } }
  - { name: gbr, url: "postgres://m@db.gbr.example:5432/residency", postgres: 15 }
`);
const [usa, gbr] = config.regions as [(typeof config.regions)[0], (typeof config.regions)[0]];
const run = (region: typeof usa, gate: number | null | undefined) =>
  writeGate({
    config,
    region,
    snapshot: gate === undefined ? readySnapshot() : { ...readySnapshot(), writeGate: gate },
    envSet: new Set(),
  });

test('the gate as regions.yaml says (2 x pool_size, or none without a pooler), or no table yet: nothing to say', (t) => {
  t.deepEqual(run(usa, 8), []);
  t.deepEqual(run(gbr, null), []);
  t.deepEqual(run(usa, undefined), []);
});

test('a gate that differs from regions.yaml, is missing, or is left over without a pooler: a warning to run migrate up', (t) => {
  const [changed] = run(usa, 16);
  t.is(changed?.id, 'write-gate');
  t.is(changed?.level, 'warning');
  t.is(
    changed?.detail,
    'regions.yaml says writes_in_flight 8, the region has a gate of 16 (residency.write_gate): it admits another number of writes in flight at once than the prepared-transaction budget counts',
  );
  t.regex(changed!.fix, /^run `pg-residency migrate up` for this region/);
  t.regex(run(usa, null)[0]!.detail, /^regions\.yaml says writes_in_flight 8, the region has no gate/);
  t.regex(run(gbr, 8)[0]!.detail, /^regions\.yaml says no gate \(the region has no pooler\), the region has a gate of 8/);
});
