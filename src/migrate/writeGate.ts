import type pg from 'pg';
import { REGISTRY_SCHEMA } from '../config/derivedNames.js';
import type { Region } from '../config/types.js';
import { qualified } from '../sql/quote.js';

/**
 * Binds a region's bound on writes in flight (`residency.gate`, issue 20):
 * its pooler's `writes_in_flight` (default 2 x pool_size) into the region's
 * `residency.write_gate`, or no row for a region without a pooler (no gate).
 * Like the servers' connection options it differs per environment, so no
 * generated file holds it: `migrate up` writes it every time, and the next
 * write call reads it. Nothing before the runtime that creates the table.
 * @example await bindWriteGate(client, usa) // usa's pooler { pool_size: 4 }: write_gate ('usa', 8)
 */
export async function bindWriteGate(client: pg.Client, region: Region): Promise<void> {
  const table = qualified(REGISTRY_SCHEMA, 'write_gate');
  const found = await client.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [table]);
  if (found.rows[0]?.exists !== true) return;
  if (region.pooler === undefined) {
    await client.query(`DELETE FROM ${table} WHERE region = $1`, [region.name]);
    return;
  }
  await client.query(
    `INSERT INTO ${table} AS g (region, slots) VALUES ($1, $2) ON CONFLICT (region) DO UPDATE SET slots = EXCLUDED.slots WHERE g.slots <> EXCLUDED.slots`,
    [region.name, region.pooler.writesInFlight],
  );
}
