import { doctorFinding } from '../doctorFinding.js';
import type { DoctorRule } from '../doctorRule.js';

/**
 * The region's gate on writes in flight (issue 20) is what regions.yaml
 * says: `pooler.writes_in_flight` (default 2 x pool_size), bound by
 * `migrate up` into residency.write_gate. A region whose bound differs (or
 * is missing, or left over without a pooler) admits another number of writes
 * than the prepared-transaction budget (prepared-transactions-budget) counts
 * until migrate runs again. Nothing to say before the table exists.
 */
export const writeGate: DoctorRule = ({ region, snapshot }) => {
  if (snapshot.writeGate === undefined) return [];
  const wanted = region.pooler?.writesInFlight ?? null;
  if (snapshot.writeGate === wanted) return [];
  const said = wanted === null ? 'no gate (the region has no pooler)' : `writes_in_flight ${wanted}`;
  const bound = snapshot.writeGate === null ? 'no gate' : `a gate of ${snapshot.writeGate}`;
  return [
    doctorFinding(
      'write-gate',
      'warning',
      "the region's bound on writes in flight is not regions.yaml's",
      `regions.yaml says ${said}, the region has ${bound} (residency.write_gate): it admits another number of writes in flight at once than the prepared-transaction budget counts`,
      'run `pg-residency migrate up` for this region: it binds the gate from regions.yaml (docs/guides/sizing.md)',
    ),
  ];
};
