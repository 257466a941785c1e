import type pg from 'pg';
import type { Region } from '../config/types.js';
import { ResidencyError } from '../errors.js';

/**
 * The advisory lock a `migrate` run holds in every region it touches, from
 * before it reads what is applied until its last wave ends (its connections
 * close). Two int4 halves: the classid is one below the range the write
 * functions' key claims use (1381188608 + bucket).
 */
export const FLEET_LOCK = { classid: 1381188607, objid: 1 } as const;

/**
 * Takes the fleet lock in one region on the run's own connection, or refuses:
 * another run holds it. Regions are locked in regions.yaml order before any
 * migration runs anywhere, so a second `migrate up --all` stops before it
 * touches a region, and can never run its remote wave in a region while the
 * first run's local wave is still due elsewhere (node-pg-migrate's own lock is
 * taken per wave only).
 */
export async function takeFleetLock(client: pg.Client, region: Region): Promise<void> {
  const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::int4, $2::int4) AS locked', [
    FLEET_LOCK.classid,
    FLEET_LOCK.objid,
  ]);
  if (rows[0]?.locked === true) return;
  const holder = await client.query<{ pid: number; application_name: string | null; since: string | null }>(
    `SELECT a.pid, a.application_name, to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS TZ') AS since
       FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::int4::oid AND l.objid = $2::int4::oid AND l.objsubid = 2
        AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())`,
    [FLEET_LOCK.classid, FLEET_LOCK.objid],
  );
  const who = holder.rows[0];
  throw new ResidencyError(
    'MIGRATION',
    `region "${region.name}": another pg-residency migrate is running on the fleet${who ? ` (backend pid ${who.pid}, ${JSON.stringify(who.application_name ?? '')}, connected ${who.since})` : ''}; this run changed nothing in any region. Wait for it to finish, then run migrate again`,
  );
}
