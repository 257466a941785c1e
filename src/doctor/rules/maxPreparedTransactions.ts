import { adminSql } from '../adminSetupSql.js';
import { doctorFinding } from '../doctorFinding.js';
import type { DoctorRule } from '../doctorRule.js';
import { linkPoolSizes, preparedBudget } from '../preparedBudget.js';

/**
 * Two-phase writes PREPARE a part in every region they touch but their
 * coordinator's: with 0 slots every write across regions fails (error); with
 * fewer slots than the other regions' writes in flight, writes fail with
 * RS013 "full" under load (warning). The one rule on max_prepared_transactions:
 * a region with a link pooler (regions.yaml `pooler:`) has at most twice its
 * pool_size writes in flight; doctor reads one region, so another region's
 * write concurrency without a pooler is assumed to be this server's
 * max_connections (migrate reads each region's own, docs/guides/sizing.md).
 */
export const maxPreparedTransactions: DoctorRule = ({ config, region, snapshot }) => {
  const slots = Number.parseInt(snapshot.settings.max_prepared_transactions ?? '', 10);
  if (!Number.isFinite(slots)) return [];
  const connections = Number.parseInt(snapshot.settings.max_connections ?? '', 10);
  const assumed = Number.isFinite(connections) && connections > 0 ? connections : 100;
  const pools = linkPoolSizes(config);
  const budget = preparedBudget({ region: region.name, regions: config.regions.map((r) => r.name), writers: {}, pools, assumed });
  const needed = Math.max(budget.needed, 1);
  const why =
    budget.assumed.length === 0
      ? budget.shares.join(', ')
      : `${budget.shares.join(', ')}: ${budget.assumed.length === budget.shares.length ? 'each' : budget.assumed.join(', ')} assumed to allow max_connections ${assumed} like this server`;
  const restart = `-- then restart the server (on a managed service set the parameter in its console)`;
  if (slots === 0)
    return [
      doctorFinding(
        'max-prepared-transactions',
        'error',
        'the server cannot prepare transactions',
        'max_prepared_transactions is 0: every write that touches another region fails at PREPARE TRANSACTION',
        `${adminSql.maxPreparedTransactions(needed)} ${restart}; one slot per write the other regions may have in flight (${why}; docs/guides/sizing.md)`,
      ),
    ];
  if (slots >= budget.needed) return [];
  const bound =
    Object.keys(pools).length > 0 ? 'bound the writers or lower pool_size in regions.yaml and the poolers' : 'bound the writers';
  return [
    doctorFinding(
      'prepared-transactions-budget',
      'warning',
      'fewer prepared transactions than the writes in flight',
      `max_prepared_transactions is ${slots}, but the other regions may have ${budget.needed} writes in flight at once (${why}), each holding a part prepared here: under that load writes fail with RS013 ("full")`,
      `${adminSql.maxPreparedTransactions(needed)} ${restart}; or ${bound} (docs/guides/sizing.md)`,
    ),
  ];
};
