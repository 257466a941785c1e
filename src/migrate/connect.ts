import { readFileSync } from 'node:fs';
import pg from 'pg';
import { parse } from 'pg-connection-string';
import type { Env } from '../config/expandEnv.js';
import type { Region } from '../config/types.js';
import { redactUrl } from '../config/parseConfig.js';
import { ResidencyError } from '../errors.js';

/**
 * The url parsed with libpq's meaning of `sslmode` (pg-connection-string's
 * libpq compatibility: `require` encrypts without checking, `verify-ca`
 * checks the CA, `verify-full` the host name too), its `sslrootcert`,
 * `sslcert` and `sslkey` files read, and `sslcrl`, which that parser ignores,
 * read too. A file that cannot be read is an error naming the region.
 */
export function tlsOptions(region: Region): ReturnType<typeof parse> & pg.ClientConfig {
  try {
    const parsed = parse(region.url, { useLibpqCompat: true });
    const crl = new URL(region.url).searchParams.get('sslcrl');
    if (crl === null || typeof parsed.ssl !== 'object') return parsed as ReturnType<typeof parse> & pg.ClientConfig;
    return { ...parsed, ssl: { ...parsed.ssl, crl: readFileSync(crl, 'utf8') } } as ReturnType<typeof parse> & pg.ClientConfig;
  } catch (error) {
    throw new ResidencyError(
      'CONNECTION',
      `region "${region.name}": the TLS settings in its url (${redactUrl(region.url)}) cannot be used: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/**
 * Connects to a region as its `url` says (with `sslmode`, `sslrootcert`,
 * `sslcert`, `sslkey` and `sslcrl` as libpq reads them), or fails with an error that names
 * the region, the address (password hidden) and what to try.
 */
export async function connectRegion(region: Region, env: Env, options: { connectTimeoutMs?: number } = {}): Promise<pg.Client> {
  // A url without a password takes PGPASSWORD from the given environment, as libpq does.
  // (pg lets a connectionString's missing password override an explicit one,
  // so the url is parsed here with pg's own parser.)
  const parsed = tlsOptions(region);
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
