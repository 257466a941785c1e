import { createHash } from 'node:crypto';

export interface NamedContent {
  readonly name: string;
  readonly content: string;
}

/** The manifest of a region's migrations, stored as `residency.sum`. */
export const SUM_FILE = 'residency.sum';

function h1(...parts: string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\0');
  return `h1:${hash.digest('base64')}`;
}

/**
 * A chained checksum, as Atlas's atlas.sum: each file's hash covers the
 * previous file's hash, its name and its bytes, so an edited, renamed, removed
 * or reordered file changes every line after it. The first line covers all.
 */
export function renderSum(files: readonly NamedContent[]): string {
  let previous = '';
  const lines = files.map((file) => {
    previous = h1(previous, file.name, file.content);
    return `${file.name} ${previous}`;
  });
  return `${h1(...lines)}\n${lines.join('\n')}\n`;
}

/** The region's manifest of created objects (manifestFile.ts): when there is one, the sum's last line covers it. */
const MANIFEST_NAME = 'manifest.json';

/**
 * Compares files on disk with a recorded sum. Returns one message per problem,
 * naming the first file that differs; empty when they agree.
 */
export function verifySum(sum: string, files: readonly NamedContent[], manifest?: string): string[] {
  return sumProblems(sum, files, manifest).map((p) => p.message);
}

/**
 * The files that disagree with a recorded sum, each with why: edited, missing,
 * not listed, or out of order. Empty when they agree. The migrations come
 * first in the chain, the manifest (manifest.json) last: a caller that does
 * not read the manifest (migrate) passes none and checks the migrations only.
 */
export function sumProblems(sum: string, files: readonly NamedContent[], manifest?: string): { file: string; message: string }[] {
  const all = sum.trimEnd().split('\n').slice(1);
  const listsManifest = all.at(-1)?.split(' ')[0] === MANIFEST_NAME;
  const lines = listsManifest ? all.slice(0, -1) : all;
  if (manifest !== undefined) {
    const problems = sqlProblems(lines, files);
    if (problems.length > 0) return problems;
    if (!listsManifest) return [{ file: MANIFEST_NAME, message: `${MANIFEST_NAME} is not listed in ${SUM_FILE}` }];
    const computed = renderSum([...files, { name: MANIFEST_NAME, content: manifest }])
      .trimEnd()
      .split('\n')
      .at(-1);
    if (computed !== all.at(-1))
      return [
        { file: MANIFEST_NAME, message: `${MANIFEST_NAME} was edited after it was generated (its checksum does not match ${SUM_FILE})` },
      ];
    return [];
  }
  return sqlProblems(lines, files);
}

function sqlProblems(lines: readonly string[], files: readonly NamedContent[]): { file: string; message: string }[] {
  const expected = lines.map((line) => line.split(' ')[0] ?? '');
  const actual = files.map((f) => f.name);
  const problems: { file: string; message: string }[] = [];
  for (const name of expected)
    if (!actual.includes(name)) problems.push({ file: name, message: `${name} is listed in ${SUM_FILE} but missing` });
  for (const name of actual) if (!expected.includes(name)) problems.push({ file: name, message: `${name} is not listed in ${SUM_FILE}` });
  if (problems.length > 0) return problems;
  if (expected.join('\n') !== actual.join('\n')) return [{ file: SUM_FILE, message: `the files are not in the order ${SUM_FILE} records` }];
  const computed = renderSum(files).trimEnd().split('\n').slice(1);
  const first = computed.findIndex((line, i) => line !== lines[i]);
  if (first >= 0)
    return [
      { file: actual[first]!, message: `${actual[first]} was edited after it was generated (its checksum does not match ${SUM_FILE})` },
    ];
  return [];
}
