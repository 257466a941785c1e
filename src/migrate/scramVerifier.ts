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
 * The PBKDF2 iteration count of the link role's verifier when its password is
 * a long random secret ({@link LINK_SECRET_MIN_LENGTH} characters or more).
 * Iterations slow a guess of a password from a stolen verifier; a secret of
 * 192 random bits (what `dev up` makes) cannot be guessed at any count, while
 * every link a new session opens pays the count in libpq (docs/security.md,
 * "The link role's SCRAM iteration count").
 */
export const LINK_SCRAM_ITERATIONS = 16;

/** A link password this long is taken for a machine-made random secret; a shorter one keeps PostgreSQL's 4096 iterations. */
export const LINK_SECRET_MIN_LENGTH = 32;

/**
 * The link role's verifier: its salt derived from the password and the role,
 * so every region that shares the password stores the same verifier, byte for
 * byte. A link pooler needs that: PgBouncer logs in to a server with the
 * SCRAM keys a client proved to it only when its auth_file holds the
 * server's very verifier, and one auth_file line serves every region. A
 * random salt protects a guessable password from precomputed tables; the
 * link password is a long random secret (`dev up` makes 24 random bytes;
 * docs/own-databases.md asks the same), which none can cover. For the same
 * reason a long password gets {@link LINK_SCRAM_ITERATIONS} iterations, not
 * 4096: each link a session opens computes them.
 * @example linkVerifier('secret', 'residency_link') === linkVerifier('secret', 'residency_link') // true
 */
export function linkVerifier(password: string, role: string): string {
  const salt = createHmac('sha256', Buffer.from(password, 'utf8'))
    .update(`pg-residency link verifier salt:${role}`)
    .digest()
    .subarray(0, 16);
  return scramVerifier(password, salt, password.length >= LINK_SECRET_MIN_LENGTH ? LINK_SCRAM_ITERATIONS : 4096);
}
