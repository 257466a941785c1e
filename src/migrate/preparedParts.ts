import { literal } from '../sql/quote.js';

/**
 * Parts of two-phase writes (gids `pg-residency:<coordinator>:...`) left
 * prepared in a region: a write in flight holds its parts for milliseconds, so
 * a part older than {@link STALE_PREPARED} was left by a crash, and
 * `pg-residency resolve` finishes it. `migrate status` counts them, `verify`
 * names each (RV108).
 */
export const STALE_PREPARED = '1 minute';

/**
 * The query listing this database's parts prepared longer ago than
 * `olderThan` (an interval), oldest first: `gid` and `age` in seconds.
 * @example stalePreparedSql('1 minute')
 */
export const stalePreparedSql = (olderThan: string = STALE_PREPARED): string =>
  `SELECT gid, extract(epoch FROM now() - prepared)::int AS age FROM pg_catalog.pg_prepared_xacts
    WHERE database = current_database() AND gid LIKE 'pg-residency:%' AND prepared < now() - ${literal(olderThan)}::interval
    ORDER BY prepared`;
