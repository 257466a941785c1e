import { StringDecoder } from 'node:string_decoder';
import type pg from 'pg';
import { parse } from 'pg-connection-string';
import { to as copyTo } from 'pg-copy-streams';
import type { Entity } from '../config/types.js';
import { redactUrl } from '../config/redact.js';
import { ResidencyError } from '../errors.js';
import { openClient } from '../migrate/connect.js';
import { columnProblems } from './adoptColumns.js';
import {
  ADOPT_SESSION_SETTINGS,
  sourceColumnsSql,
  sourceCopySql,
  sourceCountSql,
  sourceMarkSql,
  sourcePlacedSql,
  type ChangedSince,
} from './adoptSql.js';

/**
 * The source database, only read: sessions with
 * `default_transaction_read_only`, the rows read in one REPEATABLE READ READ
 * ONLY transaction (one snapshot), streamed through COPY TO in chunks.
 */
export class SourceSession {
  private constructor(
    private readonly client: pg.Client,
    private readonly url: string,
  ) {}

  /** Connects to the source and opens its read-only snapshot. */
  static async open(url: string, env: Readonly<Record<string, string | undefined>>): Promise<SourceSession> {
    const client = await connectSource(url, env);
    try {
      await client.query(
        `${ADOPT_SESSION_SETTINGS}; SET default_transaction_read_only = on; SET statement_timeout = 0; SET work_mem = '64MB'`,
      );
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      return new SourceSession(client, url);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw sourceError(url, error);
    }
  }

  /** Refuses a query whose columns are not exactly the entity's. */
  async checkColumns(entity: Entity, query: string, changedSince?: string): Promise<void> {
    const result = await this.client.query(sourceColumnsSql(query)).catch((error: unknown) => {
      throw sourceError(this.url, error, 'the query failed');
    });
    const problems = columnProblems(
      entity,
      result.fields.map((f) => f.name),
      changedSince,
    );
    if (problems.length > 0) throw new ResidencyError('USAGE', `--query: ${problems.join('; ')}`);
  }

  /**
   * Streams the source's rows as COPY text lines, in key order, a chunk of
   * lines at a time; the stream waits while the caller awaits (memory stays
   * within a chunk and the socket's buffers).
   */
  async *lines(entity: Entity, query: string, since?: ChangedSince): AsyncGenerator<string[]> {
    const stream = this.client.query(copyTo(sourceCopySql(entity, query, since)));
    const decoder = new StringDecoder('utf8');
    let rest = '';
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        const text = rest + decoder.write(chunk);
        const end = text.lastIndexOf('\n');
        if (end < 0) {
          rest = text;
          continue;
        }
        rest = text.slice(end + 1);
        yield text.slice(0, end).split('\n');
      }
    } catch (error) {
      throw sourceError(this.url, error, 'reading it failed');
    }
    const last = rest + decoder.end();
    if (last.length > 0) yield [last];
  }

  /** The largest value of the --changed-since column in the snapshot (null: no row or all NULL), and its type. */
  async mark(query: string, column: string): Promise<{ mark: string | null; type: string }> {
    const { rows } = await this.client
      .query<{ mark: string | null; type: string }>(sourceMarkSql(query, column))
      .catch((error: unknown) => {
        throw sourceError(this.url, error, `reading the largest "${column}" failed`);
      });
    return rows[0]!;
  }

  /** Per region, the rows with a key the source places there, in the snapshot. */
  async placed(entity: Entity, query: string, regions: readonly string[]): Promise<Map<string, number>> {
    const { rows } = await this.client
      .query<{ region: string; n: string }>(sourcePlacedSql(entity, query), [regions])
      .catch((error: unknown) => {
        throw sourceError(this.url, error, 'counting its rows failed');
      });
    return new Map(rows.map((r) => [r.region, Number(r.n)]));
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}

/**
 * How many rows the query yields, counted on a session of its own while the
 * rows flow (only the ETA needs it): `total` settles with the count, or never
 * when it fails; `stop` ends the session, a count still running included.
 */
export function countSource(
  url: string,
  env: Readonly<Record<string, string | undefined>>,
  query: string,
): { readonly total: Promise<number>; stop(): Promise<void> } {
  let client: pg.Client | undefined;
  let stopped = false;
  const total = (async () => {
    client = await connectSource(url, env);
    if (stopped) throw new Error('stopped');
    await client.query('SET default_transaction_read_only = on; SET statement_timeout = 0');
    return Number((await client.query<{ n: string }>(sourceCountSql(query))).rows[0]?.n ?? 0);
  })();
  total.catch(() => undefined);
  return {
    total,
    async stop() {
      stopped = true;
      await client?.end().catch(() => undefined);
    },
  };
}

async function connectSource(url: string, env: Readonly<Record<string, string | undefined>>): Promise<pg.Client> {
  try {
    // parsed here (libpq's sslmode meaning), so PGPASSWORD applies when the url has none
    const parsed = parse(url, { useLibpqCompat: true }) as pg.ClientConfig;
    return await openClient({ ...parsed, password: parsed.password || env.PGPASSWORD }, { purpose: 'adopt' });
  } catch (error) {
    throw sourceError(url, error, 'cannot connect');
  }
}

/** An error of the source, naming it by its url without the password. */
function sourceError(url: string, error: unknown, what = 'failed'): ResidencyError {
  if (error instanceof ResidencyError) return error;
  const sqlstate = (error as { code?: unknown }).code;
  return new ResidencyError(
    'CONNECTION',
    `source ${redactUrl(url)}: ${what}: ${error instanceof Error ? error.message : String(error)}${typeof sqlstate === 'string' ? ` [SQLSTATE ${sqlstate}]` : ''}`,
    { cause: error },
  );
}
