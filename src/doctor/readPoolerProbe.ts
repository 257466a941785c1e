import pg from 'pg';
import type { Env } from '../config/expandEnv.js';
import type { Config, Region } from '../config/types.js';
import type { PoolerProbe } from './doctorSnapshot.js';

/**
 * Asks the region's link pooler's console (database `pgbouncer`, as the link
 * role: PgBouncer's `stats_users`) for its databases, pool modes and sizes.
 * TLS as the pooler's sslmode asks, its certificate not checked here (the
 * CA path in regions.yaml is one on the region's machine); SCRAM does not
 * reveal the password to a server that is not the pooler. Never throws: an
 * unreachable pooler is a probe that says why.
 */
export async function readPoolerProbe(config: Config, region: Region, env: Env, timeoutMs: number): Promise<PoolerProbe | undefined> {
  const pooler = region.pooler;
  if (pooler === undefined) return undefined;
  const password = env[config.regions.find((r) => r.fdw.auth === 'password')?.fdw.passwordEnv ?? region.fdw.passwordEnv];
  const client = new pg.Client({
    host: pooler.host,
    port: pooler.port,
    database: 'pgbouncer',
    user: config.link.role,
    ...(password === undefined ? {} : { password }),
    ssl: ['disable', 'allow', 'prefer'].includes(pooler.sslmode) ? false : { rejectUnauthorized: false },
    connectionTimeoutMillis: timeoutMs,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const shown = (await client.query<{ key: string; value: string }>('SHOW CONFIG')).rows;
    const fallback = shown.find((r) => r.key === 'pool_mode')?.value ?? 'session';
    const { rows } = await client.query<{ name: string; pool_mode: string | null; pool_size: string | number }>('SHOW DATABASES');
    return {
      reachable: true,
      databases: rows
        .filter((r) => r.name !== 'pgbouncer')
        .map((r) => ({ name: r.name, poolMode: r.pool_mode ?? fallback, poolSize: Number(r.pool_size) })),
    };
  } catch (error) {
    return { reachable: false, error: (error as Error).message, databases: [] };
  } finally {
    await client.end().catch(() => undefined);
  }
}
