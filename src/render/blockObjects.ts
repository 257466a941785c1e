import type { ObjectEvent } from '../sql/sqlObjects.js';
import { sqlObjects, statementObjects } from '../sql/sqlObjects.js';
import { parseStatements } from '../sql/parseSql.js';

// A block shared by many regions (a foreign table, a drop) is parsed once per process.
const cache = new Map<string, readonly ObjectEvent[]>();

/**
 * What a file's blocks create and drop, in order (sqlObjects.ts), for the
 * region's manifest.json: the file's up section is its blocks' (its preludes,
 * the timeouts and the registry lock, create nothing). Call loadSqlParser
 * first. The blocks not parsed before are parsed in one call (a region file
 * of a 50-region fleet has dozens of small ones), each statement's events
 * going to the block its text ends in (every block ends a statement); one
 * the parser refuses is parsed alone, to name it.
 */
export function fileObjects(blocks: readonly { readonly up: string }[], label: string): ObjectEvent[] {
  const fresh = [...new Set(blocks.map((b) => b.up).filter((up) => !cache.has(up)))];
  if (fresh.length > 0) parseTogether(fresh, label);
  if (cache.size > 20_000) {
    const events = blocks.flatMap((b) => cache.get(b.up) ?? []);
    cache.clear();
    return events;
  }
  return blocks.flatMap((b) => cache.get(b.up)!);
}

function parseTogether(texts: readonly string[], label: string): void {
  const starts: number[] = [];
  let offset = 0;
  for (const text of texts) {
    starts.push(offset);
    offset += Buffer.byteLength(text) + 1;
  }
  const events: ObjectEvent[][] = texts.map(() => []);
  try {
    const total = offset - 1;
    for (const { stmt, stmt_location: at = 0, stmt_len: len = 0 } of parseStatements(texts.join('\n'))) {
      // where the statement ends (its start may include the whitespace and comments after the previous one)
      const end = len === 0 ? total : at + len;
      let block = starts.length - 1;
      while (block > 0 && starts[block]! >= end) block -= 1;
      events[block]!.push(...statementObjects(stmt));
    }
  } catch {
    for (const text of texts) cache.set(text, sqlObjects(`-- Up Migration\n${text}\n`, label));
    return;
  }
  texts.forEach((text, i) => cache.set(text, events[i]!));
}

/** Forgets the blocks parsed so far (for measuring generation without the cache). */
export function forgetBlockObjects(): void {
  cache.clear();
}
