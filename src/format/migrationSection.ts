/** Which way a migration runs. */
export type Direction = 'up' | 'down';

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

/** The statements of one direction's section, without its marker line, trimmed. */
export function sectionBody(content: string, direction: Direction): string {
  return sectionBodies(content)[direction];
}

/** Both sections' statements (see sectionBody), each marker searched for once. */
export function sectionBodies(content: string): Readonly<Record<Direction, string>> {
  const up = content.search(MARKERS.up);
  const down = content.search(MARKERS.down);
  const body = (start: number, other: number) => {
    if (start < 0) return '';
    const section = content.slice(start, other > start ? other : undefined).trimStart();
    const newline = section.indexOf('\n');
    return newline < 0 ? '' : section.slice(newline + 1).trim();
  };
  return { up: body(up, down), down: body(down, up) };
}

/**
 * One migration from parts: the up parts in order, the down parts in the
 * reverse order, so that down undoes the last part first.
 */
export function composeSections(parts: readonly { readonly up: string; readonly down: string }[]): string {
  const up = parts.map((p) => p.up).filter((s) => s !== '');
  const down = parts
    .map((p) => p.down)
    .filter((s) => s !== '')
    .reverse();
  return `-- Up Migration\n${up.join('\n\n')}\n\n-- Down Migration\n${down.join('\n\n')}\n`;
}

const BEGIN = '-- pg-residency-begin: ';
const END = '-- pg-residency-end: ';

/** Wraps the SQL that creates an object in marker comments naming it. */
export function markSection(id: string, sql: string): string {
  return `${BEGIN}${id}\n${sql}\n${END}${id}`;
}

/** The SQL between the markers of an object in a file's up (or down) section, or undefined. */
export function markedSection(content: string, id: string, direction: Direction = 'up'): string | undefined {
  const section = migrationSection(content, direction);
  const begin = section.indexOf(`${BEGIN}${id}\n`);
  const end = section.indexOf(`\n${END}${id}`, begin);
  if (begin < 0 || end < 0) return undefined;
  return section.slice(begin + BEGIN.length + id.length + 1, end);
}
