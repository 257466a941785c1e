import { createHash } from 'node:crypto';

/**
 * What a region's applied migrations created and did not drop, read from the
 * generated files themselves (their up sections, in the order applied), so
 * verify expects whatever the templates made, today's objects or tomorrow's.
 * The files come from pg-residency's own templates: names are always
 * double-quoted or plain lower-case identifiers, and bodies dollar-quoted.
 */
export interface ExpectedObjects {
  readonly schemas: ReadonlySet<string>;
  /** `schema.name` of tables, partitioned tables, foreign tables, views, sequences. */
  readonly relations: ReadonlySet<string>;
  readonly types: ReadonlySet<string>;
  readonly servers: ReadonlySet<string>;
  /** `schema.name` of every function or procedure created. */
  readonly functionNames: ReadonlySet<string>;
  /** Signatures as written (`"shared"."get_identity"(uuid)`), from GRANT/REVOKE ... ON FUNCTION. */
  readonly signatures: ReadonlySet<string>;
  /** md5 of the body, by `schema.name/nargs`, as last created. */
  readonly bodies: ReadonlyMap<string, string>;
}

const NAME = String.raw`(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)`;
const QNAME = String.raw`${NAME}(?:\s*\.\s*${NAME})?`;

function unquote(name: string): string {
  return name.startsWith('"') ? name.slice(1, -1).replaceAll('""', '"') : name.toLowerCase();
}

/** `"a"."b"` or `b` (then in `public`) to `a.b`. */
export function qualifiedName(text: string): string {
  const parts = [...text.matchAll(new RegExp(NAME, 'g'))].map((m) => unquote(m[0]));
  return parts.length === 1 ? `public.${parts[0]}` : parts.join('.');
}

function upSection(content: string): string {
  const up = content.indexOf('-- Up Migration');
  const down = content.indexOf('-- Down Migration');
  return content.slice(up < 0 ? 0 : up, down < 0 ? undefined : down);
}

/** Index of the parenthesis that closes the one at `open`. */
function closing(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return i;
  }
  return -1;
}

function countArgs(args: string): number {
  if (args.trim() === '') return 0;
  let depth = 0;
  let n = 1;
  for (const ch of args) {
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === ',' && depth === 0) n++;
  }
  return n;
}

export const md5 = (text: string) => createHash('md5').update(text).digest('hex');

export function expectedObjects(upFiles: readonly string[]): ExpectedObjects {
  const schemas = new Set<string>();
  const relations = new Set<string>();
  const types = new Set<string>();
  const servers = new Set<string>();
  const functionNames = new Set<string>();
  const signatures = new Set<string>();
  const bodies = new Map<string, string>();
  for (const content of upFiles) {
    let text = upSection(content);
    // functions: name, arity and body; then every dollar-quoted string is cut out
    const create = new RegExp(String.raw`CREATE\s+(?:OR\s+REPLACE\s+)?(?:FUNCTION|PROCEDURE)\s+(${QNAME})\s*\(`, 'g');
    for (let m = create.exec(text); m !== null; m = create.exec(text)) {
      const open = m.index + m[0].length - 1;
      const close = closing(text, open);
      const name = qualifiedName(m[1]!);
      functionNames.add(name);
      const rest = text.slice(close);
      const body = /\bAS\s+\$([A-Za-z0-9_]*)\$/.exec(rest);
      if (close < 0 || body === null) continue;
      const start = close + body.index + body[0].length;
      const end = text.indexOf(`$${body[1]}$`, start);
      if (end < 0) continue;
      bodies.set(`${name}/${countArgs(text.slice(open + 1, close))}`, md5(text.slice(start, end)));
    }
    text = text.replace(/\$([A-Za-z0-9_]*)\$[\s\S]*?\$\1\$/g, "''").replace(/--[^\n]*/g, '');
    const each = (pattern: string, f: (m: RegExpMatchArray) => void) => {
      for (const m of text.matchAll(new RegExp(pattern, 'gi'))) f(m);
    };
    each(String.raw`CREATE\s+SCHEMA\s+(?:IF\s+NOT\s+EXISTS\s+)?(${NAME})`, (m) => schemas.add(unquote(m[1]!)));
    each(String.raw`CREATE\s+(?:UNLOGGED\s+|FOREIGN\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(${QNAME})`, (m) =>
      relations.add(qualifiedName(m[1]!)),
    );
    each(String.raw`CREATE\s+(?:OR\s+REPLACE\s+)?(?:VIEW|SEQUENCE|MATERIALIZED\s+VIEW)\s+(?:IF\s+NOT\s+EXISTS\s+)?(${QNAME})`, (m) =>
      relations.add(qualifiedName(m[1]!)),
    );
    each(String.raw`CREATE\s+TYPE\s+(${QNAME})`, (m) => types.add(qualifiedName(m[1]!)));
    each(String.raw`CREATE\s+SERVER\s+(?:IF\s+NOT\s+EXISTS\s+)?(${NAME})`, (m) => servers.add(unquote(m[1]!)));
    each(String.raw`(?:GRANT|REVOKE)\s+[A-Z ,]+\s+ON\s+(?:FUNCTION|PROCEDURE)\s+(${QNAME}\s*\([^;]*?\))\s+(?:TO|FROM)`, (m) =>
      signatures.add(m[1]!.trim()),
    );
    each(
      String.raw`DROP\s+(?:FOREIGN\s+TABLE|TABLE|VIEW|SEQUENCE|MATERIALIZED\s+VIEW)\s+(?:IF\s+EXISTS\s+)?(${QNAME}(?:\s*,\s*${QNAME})*)`,
      (m) => {
        for (const n of m[1]!.split(/\s*,\s*/)) relations.delete(qualifiedName(n));
      },
    );
    each(String.raw`DROP\s+TYPE\s+(?:IF\s+EXISTS\s+)?(${QNAME})`, (m) => types.delete(qualifiedName(m[1]!)));
    each(String.raw`DROP\s+SCHEMA\s+(?:IF\s+EXISTS\s+)?(${NAME})`, (m) => schemas.delete(unquote(m[1]!)));
    each(String.raw`DROP\s+SERVER\s+(?:IF\s+EXISTS\s+)?(${NAME})`, (m) => servers.delete(unquote(m[1]!)));
    each(String.raw`DROP\s+(?:FUNCTION|PROCEDURE)\s+(?:IF\s+EXISTS\s+)?(${QNAME})\s*\(([^;]*?)\)\s*(?:CASCADE\s*)?;`, (m) => {
      const name = qualifiedName(m[1]!);
      bodies.delete(`${name}/${countArgs(m[2]!)}`);
      for (const s of signatures) if (s.replace(/\s+/g, ' ') === `${m[1]!}(${m[2]!})`.replace(/\s+/g, ' ')) signatures.delete(s);
    });
  }
  for (const key of bodies.keys()) functionNames.add(key.slice(0, key.lastIndexOf('/')));
  return { schemas, relations, types, servers, functionNames, signatures, bodies };
}
