import pg from 'pg';
import { parse } from 'pg-connection-string';
import type { Env } from '../config/expandEnv.js';
import type { Region } from '../config/types.js';
import { redactUrl } from '../config/parseConfig.js';
import { ResidencyError } from '../errors.js';

/**
 * Connects to a region as its `url` says, or fails with an error that names
 * the region, the address (password hidden) and what to try.
 */
export async function connectRegion(region: Region, env: Env, options: { connectTimeoutMs?: number } = {}): Promise<pg.Client> {
  // A url without a password takes PGPASSWORD from the given environment, as libpq does.
  // (pg lets a connectionString's missing password override an explicit one,
  // so the url is parsed here with pg's own parser.)
  const parsed = parse(region.url);
  const client = new pg.Client({
    ...(parsed as pg.ClientConfig),
    password: parsed.password || env.PGPASSWORD,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
  });
  // A server that goes away after connecting must not crash the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    const reason = (error as Error).message || (error as NodeJS.ErrnoException).code || String(error);
    throw new ResidencyError(
      'CONNECTION',
      `region "${region.name}": cannot connect to ${redactUrl(region.url)} (${reason}). Is the server running and reachable? For the local fleet run \`pg-residency dev up\`; otherwise check the region's url in regions.yaml.`,
      { cause: error },
    );
  }
  return client;
}
