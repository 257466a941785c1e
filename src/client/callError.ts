import { ResidencyError } from '../errors.js';

/**
 * SQLSTATEs after which the same call may simply be sent again: a concurrent
 * change (`RS006`), a serialization failure (`40001`), a deadlock (`40P01`), a
 * lock wait past `lock_timeout` (`55P03`), a link connection found broken
 * twice (`RS012`: every part was rolled back), a region full (`RS013`: out of
 * prepared transactions, lock space or connection slots; nothing was written
 * or queued: retry after a pause, with backoff). Not `RS011` (a region the write
 * needs is down: retry when it is back) nor `57014` (cancelled: nothing was
 * written, but the caller asked to stop).
 */
export const RETRYABLE_SQLSTATES: ReadonlySet<string> = new Set(['RS006', 'RS012', 'RS013', '40001', '40P01', '55P03']);

/**
 * SQLSTATE classes whose server message names only keys, regions, fields and
 * objects: pg-residency's own `RS...` errors, transaction rollbacks, lock and
 * connection failures, missing objects and constraint names (the value is
 * only in the DETAIL, which is not kept). Any other message (e.g. `22P02 invalid input syntax for
 * type uuid: "..."`) may quote a value the caller sent, so it is not repeated.
 */
const SAFE_MESSAGE = /^(RS|40|55|08|57|53|42|23)/;

/**
 * A call of a generated SQL function that PostgreSQL refused. `sqlstate` is
 * the server's code (`RS001` unknown region, `RS003` owned by another region,
 * `RS004` not found, `40001` retry, ...; see docs/reference/sql-api.md), `region`
 * the region the call ran in. The original error is the `cause`.
 */
export class FleetCallError extends ResidencyError {
  readonly sqlstate: string;
  readonly region: string;
  /** The function that was called, schema-qualified. */
  readonly function: string;
  /** Whether sending the same call again may succeed. */
  readonly retryable: boolean;

  constructor(region: string, fn: string, sqlstate: string, serverMessage: string, cause: unknown) {
    const said = SAFE_MESSAGE.test(sqlstate) ? serverMessage : 'PostgreSQL refused a value (message withheld: it may quote the value)';
    super('CALL', `region "${region}": ${fn} failed with SQLSTATE ${sqlstate}: ${said}`, { cause });
    this.name = 'FleetCallError';
    this.sqlstate = sqlstate;
    this.region = region;
    this.function = fn;
    this.retryable = RETRYABLE_SQLSTATES.has(sqlstate);
  }
}

/**
 * Turns what `pg` threw for a call into a {@link FleetCallError} (a server
 * error, with its SQLSTATE) or a `CONNECTION` {@link ResidencyError} (the
 * region could not be reached). Anything else is returned unchanged.
 */
export function toCallError(error: unknown, region: string, fn: string): unknown {
  if (error instanceof ResidencyError) return error;
  const e = error as { code?: unknown; message?: unknown; severity?: unknown };
  if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) && typeof e.severity === 'string') {
    return new FleetCallError(region, fn, e.code, String(e.message), error);
  }
  if (typeof e.code === 'string' || error instanceof Error) {
    const reason = typeof e.code === 'string' ? e.code : (error as Error).message;
    return new ResidencyError('CONNECTION', `region "${region}": ${fn} could not reach the region (${reason}); check that it is running`, {
      cause: error,
    });
  }
  return error;
}
