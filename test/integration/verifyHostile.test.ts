import test from 'ava';
import { randomUUID } from 'node:crypto';
import { qualified } from '../../src/sql/quote.js';
import { verifyFleet } from '../../src/verify/verifyFleet.js';
import { recordCase } from '../helpers/catalogue.js';
import { startFleet, type Fleet } from '../helpers/fleet.js';

// Issue 19 #8: verify read the objects the applied migrations create by
// stripping dollar-quoted strings by hand, blind to double-quoted names: a
// region named `r$function$1` gave 14 false RV201/RV202 on a clean fleet.
// Verify now parses the files with PostgreSQL's parser (libpg-query).
const HOSTILE = 'r$function$1';
let fleet: Fleet;
test.before(async () => {
  fleet = await startFleet({
    regions: [
      { name: HOSTILE, postgres: 11 },
      { name: 'usa', postgres: 18 },
    ],
    unsafeFast: true,
    // a 11 and 18 fleet with the link certificate fails at migrate (the 11 region's mapping gets sslcert): not this test's subject
    linkCert: false,
  });
});
test.after.always(async () => {
  await fleet?.stop();
});

test.serial('issue 19 #8: verify is clean on a fleet with a region named r$function$1, before and after writes', async (t) => {
  recordCase(t, 8, 0, 19);
  const empty = await verifyFleet(fleet.config, fleet.env, { dir: fleet.dir });
  t.deepEqual(
    empty.findings.map((f) => `${f.rule} ${f.region} ${f.object}`),
    [],
  );
  t.true(empty.ok);
  t.true(
    empty.regions.every((r) => r.skipped.length === 0),
    'the objects of the applied files were checked',
  );
  const key = randomUUID();
  await fleet.query(HOSTILE, `SELECT * FROM ${qualified('shared', 'upsert_identity')}($1, 'Ann', $2, 'n')`, [key, HOSTILE]);
  t.deepEqual(
    (await fleet.query(HOSTILE, `SELECT count(*)::int AS n FROM ONLY ${qualified(HOSTILE, 'identity_details')}`)).map((r) => r.n),
    [1],
  );
  const written = await verifyFleet(fleet.config, fleet.env, { dir: fleet.dir });
  t.deepEqual(
    written.findings.map((f) => `${f.rule} ${f.region} ${f.object}`),
    [],
  );
  t.is(written.summary.entities['shared.identity']?.directoryRows, 1);
  // and drift in the hostile region is still found: a function dropped by hand
  await fleet.query(HOSTILE, `DROP FUNCTION ${qualified('shared', 'get_identity')}(uuid)`);
  const drifted = await verifyFleet(fleet.config, fleet.env, { dir: fleet.dir, regions: [HOSTILE] });
  t.true(
    drifted.findings.some((f) => f.rule === 'RV201' && f.region === HOSTILE && f.object.includes('get_identity')),
    JSON.stringify(drifted.findings),
  );
});
