import type pg from 'pg';
import { openClient } from '../migrate/connect.js';
import { ident } from '../sql/quote.js';
import { clusterError } from './clusterError.js';
import type { RegionAddress } from './regionAddress.js';

/**
 * Creates the url's database on a region's server unless it exists,
 * connecting over TCP to the `postgres` database as the url's user, the way
 * `migrate` will connect later.
 * @returns whether it was created
 * @throws ResidencyError CLUSTER when the server refuses the connection or the password
 */
export async function ensureDatabase(region: string, address: RegionAddress, password: string): Promise<boolean> {
  let client: pg.Client | undefined;
  try {
    client = await openClient(
      { host: address.host, port: address.port, user: address.user, password, database: 'postgres' },
      { purpose: 'dev' },
    );
    const found = await client.query('select 1 from pg_database where datname = $1', [address.database]);
    if (found.rowCount !== 0) return false;
    await client.query(`create database ${ident(address.database)}`);
    return true;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === '28P01') {
      throw clusterError(
        region,
        `the server refused the superuser password for "${address.user}": it differs from the one its data directory was initialised with (the url's password, else PGPASSWORD from the environment, else from the state directory's secrets.env); unset the one that changed, or run "pg-residency dev down --purge" to start afresh`,
        error,
      );
    }
    throw clusterError(
      region,
      `cannot create database "${address.database}" on ${address.host}:${address.port}: ${(error as Error).message}`,
      error,
    );
  } finally {
    await client?.end().catch(() => undefined);
  }
}
