import type pg from 'pg';
import type { Env } from '../config/expandEnv.js';
import type { Region } from '../config/types.js';
import { connectRegion, REGION_QUERY_TIMEOUT_MS } from '../migrate/connect.js';

/**
 * A connection to one region that counts its round trips. Row hashes are
 * computed from the text of each value, so the settings that change a value's
 * text (time zone, date style, float digits) are fixed to the same values in
 * every region.
 */
export interface RegionSession {
  readonly region: Region;
  readonly client: pg.Client;
  /** One round trip: a statement, or several separated by `;` without parameters. */
  query<T extends pg.QueryResultRow = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Several statements in one round trip (simple protocol): one result per statement. */
  batch(statements: readonly string[]): Promise<pg.QueryResultRow[][]>;
  roundTrips(): number;
  end(): Promise<void>;
}

const SESSION =
  "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; SET extra_float_digits = 3; SET bytea_output = 'hex'";

export async function openSession(region: Region, env: Env, options: { readOnly: boolean }): Promise<RegionSession> {
  const client = await connectRegion(region, env, { queryTimeoutMs: REGION_QUERY_TIMEOUT_MS });
  let trips = 0;
  const session: RegionSession = {
    region,
    client,
    async query<T extends pg.QueryResultRow>(sql: string, params?: unknown[]) {
      trips++;
      return (await client.query<T>(sql, params)).rows;
    },
    async batch(statements) {
      if (statements.length === 0) return [];
      trips++;
      const result = (await client.query(statements.join(';\n'))) as unknown as pg.QueryResult | pg.QueryResult[];
      return (Array.isArray(result) ? result : [result]).map((r) => r.rows);
    },
    roundTrips: () => trips,
    end: () => client.end().catch(() => undefined),
  };
  try {
    await session.query(`${SESSION}; ${options.readOnly ? 'BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'SELECT 1'}`);
  } catch (error) {
    await session.end();
    throw error;
  }
  return session;
}
