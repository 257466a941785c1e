import test from 'ava';
import { randomUUID } from 'node:crypto';
import { recordCase } from '../helpers/catalogue.js';
import { MIXED, startFleet } from '../helpers/fleet.js';

// Issue 17, finding 1: a fleet that migrates cleanly and cannot write. The
// links are tested where they are bound (migrate up), and their failures carry
// libpq's own reason (RS011, verify's RV401).

test('issue 17 finding 1: a regions.yaml without TLS paths (the README reference) on the dev fleet writes across regions', async (t) => {
  const fleet = await startFleet({ regions: MIXED, linkCert: false, rootCert: false });
  try {
    t.true(fleet.config.regions.every((r) => r.fdw.sslrootcert === undefined && r.fdw.sslmode === 'verify-full'));
    const keys = { gbr: randomUUID(), usa: randomUUID(), aus: randomUUID() };
    await fleet.query('usa', 'SELECT * FROM shared.upsert_identity($1, $2, $3, $4)', [keys.gbr, 'Written from usa', 'gbr', null]);
    await fleet.query('aus', 'SELECT * FROM shared.upsert_identity($1, $2, $3, $4)', [keys.usa, 'Written from aus', 'usa', null]);
    await fleet.query('gbr', 'SELECT * FROM shared.upsert_identity($1, $2, $3, $4)', [keys.aus, 'Written from gbr', 'aus', null]);
    for (const [home, key] of Object.entries(keys)) {
      const rows = await fleet.query(home, `SELECT name FROM ${home}.identity_details WHERE uuid = $1`, [key]);
      t.is(rows.length, 1, `${home} holds its row`);
    }
  } finally {
    await fleet.stop();
  }
  recordCase(t);
});
