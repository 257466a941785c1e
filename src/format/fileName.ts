import { createHash } from 'node:crypto';

/**
 * A migration file name: `0004_entity_identity.sql`. Names with characters
 * outside [a-z0-9_] are folded and get a short hash, so `we"ird` and `we'ird`
 * still get different, portable file names.
 */
export function migrationFileName(index: number, slug: string): string {
  const folded = slug.toLowerCase().replace(/[^a-z0-9_]+/g, '_');
  const safe = folded === slug ? slug : `${folded}_${createHash('sha256').update(slug).digest('hex').slice(0, 8)}`;
  return `${String(index).padStart(4, '0')}_${safe}.sql`;
}
