import { performance } from 'node:perf_hooks';
import { derivedNames } from '../config/derivedNames.js';
import type { Config } from '../config/types.js';
import { libpqReason } from '../migrate/linkCheck.js';
import { qualified } from '../sql/quote.js';
import type { RegionSession } from './regionSession.js';

/** Whether a region reached another through its foreign server, and the round trip of a trivial query. */
export interface Link {
  readonly to: string;
  readonly ok: boolean;
  /** The second of two trivial queries through the link (the first opens the connection). */
  readonly ms?: number;
  readonly error?: string;
}

/**
 * Times a trivial query through each foreign partition of the first entity:
 * `SELECT count(*)` over a constant, so the remote sends back no column
 * value, only how many rows it found (at most one).
 */
export async function checkLinks(config: Config, session: RegionSession): Promise<Link[]> {
  const entity = config.entities[0];
  if (entity === undefined) return [];
  const links: Link[] = [];
  for (const other of config.regions.filter((r) => r.name !== session.region.name)) {
    const probe = `SELECT count(*) FROM (SELECT 1 FROM ${qualified(other.name, derivedNames(entity.name).details)} LIMIT 1) s`;
    try {
      await session.query(`SAVEPOINT rsd_reach; ${probe}`);
      const started = performance.now();
      await session.query(probe);
      links.push({ to: other.name, ok: true, ms: Math.round((performance.now() - started) * 10) / 10 });
    } catch (error) {
      await session.query('ROLLBACK TO SAVEPOINT rsd_reach').catch(() => undefined);
      links.push({
        to: other.name,
        ok: false,
        // libpq's own reason (a refused connection, a missing root certificate) is the error's detail
        error: `${(error as Error).message}${libpqReason(error) === (error as Error).message ? '' : `: ${libpqReason(error)}`}${typeof (error as { code?: unknown }).code === 'string' ? ` [SQLSTATE ${(error as { code: string }).code}]` : ''}`,
      });
    }
  }
  return links;
}
