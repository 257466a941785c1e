import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores for a password (RFC 7677, as
 * PostgreSQL's `scram_build_secret`). Sent instead of the password in
 * `ALTER ROLE ... PASSWORD`, so the plaintext never reaches a server log.
 * Only for ASCII passwords: others would need SASLprep first.
 * @example scramVerifier('secret') // 'SCRAM-SHA-256$4096:...$...:...'
 */
export function scramVerifier(password: string, salt: Buffer = randomBytes(16), iterations = 4096): string {
  const salted = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** Whether a password can be sent as a verifier without SASLprep. */
export function isPrintableAscii(password: string): boolean {
  return /^[\x20-\x7e]*$/.test(password);
}

/**
 * The link role's verifier: its salt derived from the password and the role,
 * so every region that shares the password stores the same verifier, byte for
 * byte. A link pooler needs that: PgBouncer logs in to a server with the
 * SCRAM keys a client proved to it only when its auth_file holds the
 * server's very verifier, and one auth_file line serves every region. A
 * random salt protects a guessable password from precomputed tables; the
 * link password is a long random secret (`dev up` makes 24 random bytes;
 * docs/own-databases.md asks the same), which none can cover.
 * @example linkVerifier('secret', 'residency_link') === linkVerifier('secret', 'residency_link') // true
 */
export function linkVerifier(password: string, role: string): string {
  const salt = createHmac('sha256', Buffer.from(password, 'utf8'))
    .update(`pg-residency link verifier salt:${role}`)
    .digest()
    .subarray(0, 16);
  return scramVerifier(password, salt);
}
