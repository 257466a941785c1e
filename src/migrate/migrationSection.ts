import type { Direction } from './migrateFleet.js';

/** node-pg-migrate's markers; it sends each section from where its regex matches. */
const MARKERS: Readonly<Record<Direction, RegExp>> = {
  up: /^\s*--[\s-]*up\s+migration/im,
  down: /^\s*--[\s-]*down\s+migration/im,
};

/** Where node-pg-migrate starts the section it sends for a direction. */
export function sectionStart(content: string, direction: Direction): number {
  return Math.max(0, content.search(MARKERS[direction]));
}

/** The SQL node-pg-migrate sends for a direction: from its marker to the other marker. */
export function migrationSection(content: string, direction: Direction): string {
  const start = sectionStart(content, direction);
  const other = content.search(MARKERS[direction === 'up' ? 'down' : 'up']);
  return content.slice(start, other > start ? other : undefined);
}
