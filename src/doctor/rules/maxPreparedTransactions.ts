import { adminSql } from '../adminSetupSql.js';
import { doctorFinding } from '../doctorFinding.js';
import type { DoctorRule } from '../doctorRule.js';

/** Two-phase writes PREPARE a part in every region they touch: with 0 slots every write across regions fails. */
export const maxPreparedTransactions: DoctorRule = ({ snapshot }) => {
  const slots = Number.parseInt(snapshot.settings.max_prepared_transactions ?? '', 10);
  if (!Number.isFinite(slots) || slots > 0) return [];
  const connections = Number.parseInt(snapshot.settings.max_connections ?? '', 10);
  const suggested = Number.isFinite(connections) && connections > 0 ? connections : 100;
  return [
    doctorFinding(
      'max-prepared-transactions',
      'error',
      'the server cannot prepare transactions',
      'max_prepared_transactions is 0: every write that touches another region fails at PREPARE TRANSACTION',
      `${adminSql.maxPreparedTransactions(suggested)} -- then restart the server (one slot per connection: max_connections is ${suggested}; on a managed service set the parameter in its console)`,
    ),
  ];
};
