import type { ObjectEvent } from '../sql/sqlObjects.js';
import { sqlObjects } from '../sql/sqlObjects.js';

// A block shared by many regions (a foreign table, a drop) is parsed once per process.
const cache = new Map<string, readonly ObjectEvent[]>();

/**
 * What a rendered block's up section creates and drops (sqlObjects.ts), for
 * the region's manifest.json. Call loadSqlParser first. A file's objects are
 * its blocks' in order (its preludes, timeouts and the registry lock, create
 * nothing).
 */
export function blockObjects(block: { readonly up: string }, label: string): readonly ObjectEvent[] {
  let events = cache.get(block.up);
  if (events === undefined) {
    events = sqlObjects(`-- Up Migration\n${block.up}\n`, label);
    if (cache.size > 10_000) cache.clear();
    cache.set(block.up, events);
  }
  return events;
}
