import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ResidencyError } from '../errors.js';
import { SUM_FILE, sumProblems } from '../format/checksum.js';
import { MANIFEST_FILE, parseManifest, type ManifestFile } from '../format/manifestFile.js';
import { loadSqlParser } from '../sql/parseSql.js';
import { sqlObjects, type ObjectEvent } from '../sql/sqlObjects.js';

export { md5 } from '../sql/sqlObjects.js';

/**
 * What a region's applied migrations created and did not drop, in the order
 * applied: read from the region's manifest.json (what gen-migrations recorded
 * each file creates and drops), or, for a history generated before
 * manifests, from the files themselves (parsed by PostgreSQL's own parser).
 */
export interface ExpectedObjects {
  readonly schemas: ReadonlySet<string>;
  /** `schema.name` of tables, partitioned tables, foreign tables, views, sequences. */
  readonly relations: ReadonlySet<string>;
  readonly types: ReadonlySet<string>;
  readonly servers: ReadonlySet<string>;
  /** `schema.name` of every function or procedure created. */
  readonly functionNames: ReadonlySet<string>;
  /**
   * Signatures of the functions granted or revoked (`"shared"."get_identity"("uuid")`),
   * each quoted for to_regprocedure, with the `schema.name` of its function.
   */
  readonly signatures: ReadonlyMap<string, string>;
  /** md5 of the body, by `schema.name/nargs`, as last created. */
  readonly bodies: ReadonlyMap<string, string>;
}

/** The objects left by the events of each applied file, in order. */
export function foldObjects(files: readonly (readonly ObjectEvent[])[]): ExpectedObjects {
  const schemas = new Set<string>();
  const relations = new Set<string>();
  const types = new Set<string>();
  const servers = new Set<string>();
  const functionNames = new Set<string>();
  const signatures = new Map<string, string>();
  const bodies = new Map<string, string>();
  const sets = { schema: schemas, relation: relations, type: types, server: servers };
  for (const events of files) {
    for (const e of events) {
      if (e.kind !== 'function') {
        if (e.do === 'create') sets[e.kind].add(e.name);
        else sets[e.kind].delete(e.name);
      } else if (e.do === 'create') {
        functionNames.add(e.name);
        if (e.md5 !== undefined) bodies.set(`${e.name}/${e.nargs}`, e.md5);
      } else if (e.do === 'grant') signatures.set(e.signature, e.name);
      else {
        bodies.delete(`${e.name}/${e.nargs}`);
        signatures.delete(e.signature);
      }
    }
  }
  for (const key of bodies.keys()) functionNames.add(key.slice(0, key.lastIndexOf('/')));
  return { schemas, relations, types, servers, functionNames, signatures, bodies };
}

/**
 * The objects a region's applied files leave behind, parsing each (the way
 * for a history without manifest.json). Loads the parser (WebAssembly) on the
 * first call. A file the parser refuses is an error naming it (by position).
 */
export async function expectedObjects(upFiles: readonly string[]): Promise<ExpectedObjects> {
  await loadSqlParser();
  return foldObjects(upFiles.map((content, index) => sqlObjects(content, `applied file ${index + 1}`)));
}

/**
 * The objects a region's applied files leave, from the region's
 * manifest.json when it records every applied file and agrees with
 * residency.sum; else (a history generated before manifests, or files the
 * manifest does not cover) by parsing the applied files.
 * @param dir the region's folder of generated migrations
 * @param applied the applied files' names (with `.sql`) and contents, in the order applied
 */
export async function expectedObjectsIn(
  dir: string,
  applied: readonly { readonly file: string; readonly content: string }[],
): Promise<ExpectedObjects & { readonly source: 'manifest' | 'parsed' }> {
  const manifest = await readManifest(dir);
  if (manifest !== undefined && applied.every((a) => manifest.files[a.file] !== undefined))
    return { ...foldObjects(applied.map((a) => manifest.files[a.file]!)), source: 'manifest' };
  return { ...(await expectedObjects(applied.map((a) => a.content))), source: 'parsed' };
}

/** The region's manifest, checked against residency.sum; undefined when the history has none. */
async function readManifest(dir: string): Promise<ManifestFile | undefined> {
  const text = await readFile(join(dir, MANIFEST_FILE), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const sum = await readFile(join(dir, SUM_FILE), 'utf8').catch(() => '');
  const names = (await readdir(dir)).filter((n) => n.endsWith('.sql')).sort();
  const files = await Promise.all(names.map(async (name) => ({ name, content: await readFile(join(dir, name), 'utf8') })));
  const problems = sumProblems(sum, files, text);
  if (problems.length > 0)
    throw new ResidencyError('CHECKSUM', `${dir}/ does not match ${SUM_FILE}: ${problems.map((p) => p.message).join('; ')}`);
  return parseManifest(text, join(dir, MANIFEST_FILE));
}
