import { ResidencyError } from '../errors.js';
import type { ObjectEvent } from '../sql/sqlObjects.js';

/**
 * Beside each region's migrations: what each file's up section creates and
 * drops (schemas, relations, types, servers, functions with their body's md5,
 * granted signatures), written by gen-migrations when it writes the file, and
 * covered by residency.sum (its last line). `verify` reads it to learn the
 * objects the applied files left, instead of parsing SQL.
 */
export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_FORMAT = 1;

export interface ManifestFile {
  readonly format: typeof MANIFEST_FORMAT;
  readonly region: string;
  /** By file name, in the order of the history. */
  readonly files: Readonly<Record<string, readonly ObjectEvent[]>>;
}

/**
 * One event as a short JSON tuple (a 50-region fleet has a thousand foreign
 * tables a region): `["relation", "usa.identity_details"]` (a run of
 * creations of one kind is one tuple: `["relation", "a.x", "b.x"]`), a drop
 * with a leading `-`, `["function", name, nargs, md5]`, `["-function", name,
 * nargs, signature]`, `["grant", name, signature]`.
 */
type Tuple = readonly (string | number)[];

function toTuple(e: ObjectEvent): Tuple {
  if (e.kind !== 'function') return [`${e.do === 'drop' ? '-' : ''}${e.kind}`, e.name];
  if (e.do === 'create') return e.md5 === undefined ? ['function', e.name, e.nargs] : ['function', e.name, e.nargs, e.md5];
  if (e.do === 'drop') return ['-function', e.name, e.nargs, e.signature];
  return ['grant', e.name, e.signature];
}

const KINDS = new Set(['schema', 'relation', 'type', 'server']);

function fromTuple(t: unknown, where: string): ObjectEvent {
  const bad = (): never => {
    throw new ResidencyError('CHECKSUM', `${where}: ${JSON.stringify(t)} is not an object event; restore the file from version control`);
  };
  if (!Array.isArray(t) || typeof t[0] !== 'string' || typeof t[1] !== 'string') return bad();
  const [tag, name] = t as [string, string, ...unknown[]];
  const drop = tag.startsWith('-');
  const kind = drop ? tag.slice(1) : tag;
  if (KINDS.has(kind) && t.length === 2) return { do: drop ? 'drop' : 'create', kind: kind as 'schema', name };
  if (tag === 'function' && typeof t[2] === 'number' && (t.length === 3 || (t.length === 4 && typeof t[3] === 'string')))
    return { do: 'create', kind: 'function', name, nargs: t[2], ...(t.length === 4 ? { md5: t[3] as string } : {}) };
  if (tag === '-function' && typeof t[2] === 'number' && typeof t[3] === 'string' && t.length === 4)
    return { do: 'drop', kind: 'function', name, nargs: t[2], signature: t[3] };
  if (tag === 'grant' && typeof t[2] === 'string' && t.length === 3) return { do: 'grant', kind: 'function', name, signature: t[2] };
  return bad();
}

/** A file's tuples: an event repeated (a REVOKE, then a GRANT) once (none dropped in between), a run of creations of one kind in one tuple. */
function compact(events: readonly ObjectEvent[]): Tuple[] {
  const tuples: Tuple[] = [];
  const seen = new Set<string>();
  for (const e of events) {
    const tuple = toTuple(e);
    // a repeat adds nothing, unless a drop came between
    if (e.do === 'drop') seen.clear();
    const key = JSON.stringify(tuple);
    if (seen.has(key)) continue;
    seen.add(key);
    const last = tuples.at(-1);
    if (tuple.length === 2 && last !== undefined && last[0] === tuple[0] && KINDS.has(String(tuple[0])))
      tuples[tuples.length - 1] = [...last, tuple[1]!];
    else tuples.push(tuple);
  }
  return tuples;
}

/** Stable JSON: one line a file, so a step's diff shows the files it adds. */
export function renderManifest(manifest: ManifestFile): string {
  const files = Object.entries(manifest.files).map(([name, events]) => `    ${JSON.stringify(name)}: ${JSON.stringify(compact(events))}`);
  return `{\n  "format": ${MANIFEST_FORMAT},\n  "region": ${JSON.stringify(manifest.region)},\n  "files": {\n${files.join(',\n')}\n  }\n}\n`;
}

/** Parses a manifest, or undefined when there is none. */
export function parseManifest(text: string | undefined, path: string): ManifestFile | undefined {
  if (text === undefined) return undefined;
  let parsed: { format?: unknown; region?: unknown; files?: unknown };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch (error) {
    throw new ResidencyError('CHECKSUM', `${path} is not valid JSON; restore it from version control`, { cause: error });
  }
  if (parsed.format !== MANIFEST_FORMAT || typeof parsed.files !== 'object' || parsed.files === null || typeof parsed.region !== 'string')
    throw new ResidencyError(
      'CHECKSUM',
      `${path} has format ${JSON.stringify(parsed.format)}; this pg-residency reads format ${MANIFEST_FORMAT}. Restore it from version control`,
    );
  const files = Object.fromEntries(
    Object.entries(parsed.files as Record<string, unknown>).map(([name, events]) => [
      name,
      (Array.isArray(events) ? events : [events]).flatMap((e: unknown) =>
        // a run of creations of one kind: one event each
        Array.isArray(e) && e.length > 2 && KINDS.has(String(e[0]))
          ? e.slice(1).map((n: unknown) => fromTuple([e[0], n], `${path}: ${name}`))
          : [fromTuple(e, `${path}: ${name}`)],
      ),
    ]),
  );
  return { format: MANIFEST_FORMAT, region: parsed.region, files };
}
