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

/**
 * Compares files on disk with a recorded sum. Returns one message per problem,
 * naming the first file that differs; empty when they agree.
 */
export function verifySum(sum: string, files: readonly NamedContent[]): string[] {
  return sumProblems(sum, files).map((p) => p.message);
}

/**
 * The files that disagree with a recorded sum, each with why: edited, missing,
 * not listed, or out of order. Empty when they agree.
 */
export function sumProblems(sum: string, files: readonly NamedContent[]): { file: string; message: string }[] {
  const lines = sum.trimEnd().split('\n').slice(1);
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
