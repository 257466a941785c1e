import { adminSql } from '../adminSetupSql.js';
import { doctorFinding } from '../doctorFinding.js';
import type { DoctorRule } from '../doctorRule.js';
import { preparedBudget, writeGates } from '../preparedBudget.js';

/**
 * Two-phase writes PREPARE a part in every region they touch, their
 * coordinator's included (issue 20): with 0 slots every write fails (error);
 * with fewer slots than the fleet's writes in flight, writes fail with RS013
 * "full" under load (warning). The one rule on max_prepared_transactions. A
 * region with a pooler has a gate (`pooler.writes_in_flight`, default 2 x
 * pool_size) that bounds the writes it coordinates at once; doctor reads one
 * region, so an ungated region's write concurrency is assumed to be this
 * server's max_connections (migrate reads each region's own,
 * docs/guides/sizing.md).
 */
export const maxPreparedTransactions: DoctorRule = ({ config, region, snapshot }) => {
  const slots = Number.parseInt(snapshot.settings.max_prepared_transactions ?? '', 10);
  if (!Number.isFinite(slots)) return [];
  const connections = Number.parseInt(snapshot.settings.max_connections ?? '', 10);
  const assumed = Number.isFinite(connections) && connections > 0 ? connections : 100;
  const budget = preparedBudget({
    region: region.name,
    regions: config.regions.map((r) => r.name),
    writers: { [region.name]: assumed },
    gates: writeGates(config),
    assumed,
  });
  const needed = Math.max(budget.needed, 1);
  const why =
    budget.assumed.length === 0
      ? budget.shares.join(', ')
      : `${budget.shares.join(', ')}: ${budget.assumed.length === budget.shares.length ? 'each' : budget.assumed.join(', ')} assumed to allow max_connections ${assumed} like this server, with no writes_in_flight bound`;
  const restart = `-- then restart the server (on a managed service set the parameter in its console)`;
  if (slots === 0)
    return [
      doctorFinding(
        'max-prepared-transactions',
        'error',
        'the server cannot prepare transactions',
        'max_prepared_transactions is 0: every write fails at PREPARE TRANSACTION',
        `${adminSql.maxPreparedTransactions(needed)} ${restart}; one slot per write the fleet's regions (this one included) may have in flight (${why}; docs/guides/sizing.md)`,
      ),
    ];
  if (slots >= budget.needed) return [];
  return [
    doctorFinding(
      'prepared-transactions-budget',
      'warning',
      'fewer prepared transactions than the writes in flight',
      `max_prepared_transactions is ${slots}, but the fleet's regions (this one included) may have ${budget.needed} writes in flight at once (${why}), each holding a part prepared here: under that load writes fail with RS013 ("full")`,
      `${adminSql.maxPreparedTransactions(needed)} ${restart}; or bound each region's writes in flight (a pooler's writes_in_flight in regions.yaml, docs/guides/sizing.md)`,
    ),
  ];
};
