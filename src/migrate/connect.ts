import { readFileSync } from 'node:fs';
import pg from 'pg';
import { parse } from 'pg-connection-string';
import type { Env } from '../config/expandEnv.js';
import type { Region } from '../config/types.js';
import { redactUrl } from '../config/redact.js';
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

/** Which command a session is for: PostgreSQL shows it as `application_name` (pg_stat_activity, the server log). */
export type Purpose = 'migrate' | 'status' | 'sync' | 'verify' | 'demo' | 'dev' | 'doctor' | 'adopt';

export interface ConnectOptions {
  /** How long to wait for the server; 10 s by default. */
  readonly connectTimeoutMs?: number;
  /**
   * Bounds every query of the session: the server's `statement_timeout`, and
   * a client-side wait a little longer (a hung server cancels nothing), after
   * which the query fails with a message naming the bound. Default: none.
   */
  readonly queryTimeoutMs?: number;
  /** The command the session is for, shown as `application_name`: `pg-residency migrate`. */
  readonly purpose?: Purpose;
}

/** How much longer than `statement_timeout` the client waits for a server that does not answer. */
const QUERY_TIMEOUT_GRACE_MS = 2_000;

/**
 * The per-region bound of the commands that only read or finish writes
 * (`migrate status`, `verify`, `resolve`): a region that does not answer
 * within it is reported as failed, and the others still are.
 */
export const REGION_QUERY_TIMEOUT_MS = 60_000;

/**
 * Opens a client with the settings every pg-residency session has:
 * `application_name` `pg-residency <purpose>` (unless the url names one), a
 * connect timeout, and a listener so that a server going away after the
 * connection does not crash the process. Connection errors are pg's, for the
 * caller to map; see connectRegion for a region of regions.yaml.
 */
export async function openClient(config: pg.ClientConfig, options: ConnectOptions = {}): Promise<pg.Client> {
  const client = new pg.Client({
    ...config,
    application_name: config.application_name ?? (options.purpose === undefined ? 'pg-residency' : `pg-residency ${options.purpose}`),
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    ...(options.queryTimeoutMs === undefined
      ? {}
      : { statement_timeout: options.queryTimeoutMs, query_timeout: options.queryTimeoutMs + QUERY_TIMEOUT_GRACE_MS }),
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  return client;
}

/**
 * Connects to a region as its `url` says (with `sslmode`, `sslrootcert`,
 * `sslcert`, `sslkey` and `sslcrl` as libpq reads them), or fails with an error that names
 * the region, the address (password hidden) and what to try.
 */
export async function connectRegion(region: Region, env: Env, options: ConnectOptions = {}): Promise<pg.Client> {
  // A url without a password takes PGPASSWORD from the given environment, as libpq does.
  // (pg lets a connectionString's missing password override an explicit one,
  // so the url is parsed here with pg's own parser.)
  const parsed = tlsOptions(region);
  const password = parsed.password || env.PGPASSWORD;
  try {
    return await openClient({ ...(parsed as pg.ClientConfig), password }, options);
  } catch (error) {
    if (!password && /password must be a string/.test((error as Error).message)) throw missingPassword(region, error);
    const reason = (error as Error).message || (error as NodeJS.ErrnoException).code || String(error);
    throw new ResidencyError(
      'CONNECTION',
      `region "${region.name}": cannot connect to ${redactUrl(region.url)} (${reason}). Is the server running and reachable? For the local fleet run \`pg-residency dev up\`; otherwise check the region's url in regions.yaml.`,
      { cause: error },
    );
  }
}

/**
 * The server asked for a password and neither the url nor PGPASSWORD gives
 * one (pg says only "client password must be a string"): name the region and
 * where a password can come from.
 */
export function missingPassword(region: Region, cause?: unknown): ResidencyError {
  const user = (() => {
    try {
      return decodeURIComponent(new URL(region.url).username) || undefined;
    } catch {
      return undefined;
    }
  })();
  return new ResidencyError(
    'CONNECTION',
    `region "${region.name}": the server at ${redactUrl(region.url)} asks for a password${user === undefined ? '' : ` for "${user}"`} and none is set: set PGPASSWORD, or write one into the region's url in regions.yaml from an environment variable (postgres://${user ?? 'user'}:\${PG_PASSWORD_${region.name.toUpperCase()}}@host/db); for the local fleet, \`pg-residency dev up\` writes it to .pg-residency/secrets.env`,
    { cause },
  );
}

/**
 * A failure while a command worked in a region, as one error whatever the
 * command: a ResidencyError as it is; anything else (a failing statement) a
 * MIGRATION error naming the region, the SQLSTATE and, when given, what to do,
 * with the original as its cause.
 */
export function regionError(region: string, error: unknown, next?: string): ResidencyError {
  if (error instanceof ResidencyError) return error;
  if (error instanceof Error && error.message === 'Query read timeout') {
    return new ResidencyError(
      'CONNECTION',
      `region "${region}": no answer within the per-region time limit; is its server hung or overloaded? The other regions are reported as usual`,
      { cause: error },
    );
  }
  const sqlstate = (error as { code?: unknown }).code;
  return new ResidencyError(
    'MIGRATION',
    `region "${region}": ${error instanceof Error ? error.message : String(error)}${typeof sqlstate === 'string' ? ` [SQLSTATE ${sqlstate}]` : ''}${next === undefined ? '' : `; ${next}`}`,
    { cause: error },
  );
}

/**
 * Connects to a region, runs `work`, and closes the connection whatever
 * happens; an error is mapped by regionError (`next` says what to do about a
 * failing statement).
 * @example await withRegion(region, env, (client) => client.query('select 1'), { purpose: 'sync' })
 */
export async function withRegion<T>(
  region: Region,
  env: Env,
  work: (client: pg.Client) => Promise<T>,
  options: ConnectOptions & { readonly next?: string } = {},
): Promise<T> {
  let client: pg.Client | undefined;
  try {
    client = await connectRegion(region, env, options);
    return await work(client);
  } catch (error) {
    throw regionError(region.name, error, options.next);
  } finally {
    await client?.end().catch(() => undefined);
  }
}
