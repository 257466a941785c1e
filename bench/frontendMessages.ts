/** A PostgreSQL protocol message from client to server, summarised for a trace. */
export interface FrontendMessage {
  /** The type byte (`Q`, `P`, `B`, ...), or `startup` for the untyped first messages. */
  readonly type: string;
  /** The SQL text of a Query or Parse message, or the statement name of a named Parse. */
  readonly sql?: string;
  readonly statement?: string;
}

const SSL_REQUEST_CODE = 80877103;
const GSS_REQUEST_CODE = 80877104;

function cString(buffer: Buffer, start: number, end: number): { text: string; next: number } {
  const zero = buffer.indexOf(0, start);
  const stop = zero < 0 || zero > end ? end : zero;
  return { text: buffer.toString('utf8', start, stop), next: stop + 1 };
}

/**
 * An incremental reader of the frontend (client to server) side of the
 * PostgreSQL wire protocol: feed it the bytes as they come, in any chunking,
 * and it returns the messages each chunk completes. It does not follow an SSL
 * handshake: after an accepted SSLRequest the bytes are no longer messages.
 */
export function frontendMessageReader(): (chunk: Buffer) => FrontendMessage[] {
  let pending: Buffer = Buffer.alloc(0);
  // A message longer than the bytes so far (a write's part of 100,000 rows is
  // 10 MB in a few hundred chunks): its chunks, joined once it is whole, not
  // at every chunk (that copied the message over and over, quadratic in its size).
  let partial: Buffer[] = [];
  let partialLength = 0;
  let needed = 0;
  // Until the StartupMessage, messages have no type byte.
  let untyped = true;
  return (chunk) => {
    if (needed > 0) {
      partial.push(chunk);
      partialLength += chunk.length;
      if (partialLength < needed) return [];
      pending = Buffer.concat(partial, partialLength);
      partial = [];
      partialLength = 0;
      needed = 0;
    } else {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    }
    const messages: FrontendMessage[] = [];
    for (;;) {
      const headerLength = untyped ? 0 : 1;
      if (pending.length < headerLength + 4) break;
      const length = pending.readInt32BE(headerLength);
      const total = headerLength + length;
      if (length >= 4 && pending.length < total) {
        partial = [pending];
        partialLength = pending.length;
        needed = total;
        pending = Buffer.alloc(0);
        break;
      }
      if (length < 4) break;
      if (untyped) {
        const code = length >= 8 ? pending.readInt32BE(4) : 0;
        const negotiation = code === SSL_REQUEST_CODE || code === GSS_REQUEST_CODE;
        messages.push({ type: negotiation ? 'sslrequest' : 'startup' });
        if (!negotiation) untyped = false;
      } else {
        const type = String.fromCharCode(pending[0]!);
        if (type === 'Q') {
          messages.push({ type, sql: cString(pending, 5, total).text });
        } else if (type === 'P') {
          const name = cString(pending, 5, total);
          messages.push({ type, statement: name.text, sql: cString(pending, name.next, total).text });
        } else {
          messages.push({ type });
        }
      }
      pending = pending.subarray(total);
    }
    return messages;
  };
}

/**
 * One line for a burst of messages sent together: the SQL of a simple query,
 * `PREPARE <sql>` for a named Parse, `EXECUTE <statement>` for a Bind of a
 * prepared statement, and the protocol phase otherwise.
 * @example burstLabel([{ type: 'Q', sql: 'COMMIT TRANSACTION' }]) // 'COMMIT TRANSACTION'
 */
export function burstLabel(messages: readonly FrontendMessage[]): string {
  const query = messages.find((m) => m.type === 'Q');
  if (query?.sql !== undefined) return query.sql;
  const parse = messages.find((m) => m.type === 'P');
  if (parse?.sql !== undefined) return parse.statement ? `PREPARE ${parse.sql}` : parse.sql;
  if (messages.some((m) => m.type === 'B')) return 'EXECUTE (prepared)';
  if (messages.some((m) => m.type === 'startup')) return '(startup)';
  if (messages.some((m) => m.type === 'sslrequest')) return '(SSL request)';
  if (messages.some((m) => m.type === 'p')) return '(authentication)';
  if (messages.some((m) => m.type === 'X')) return '(terminate)';
  return `(${messages.map((m) => m.type).join('')})`;
}
