import type { LintRule } from '../lintRule.js';
import type { ResidencyModel } from '../residencyModel.js';
import { collect, names, nodeOf, option, stringOf, tableRef, type TableRef } from '../../sql/sqlAst.js';

const WRITES = [
  { pattern: /\binsert\s+into\s+((?:"[^"]+"|[\w$]+)(?:\.(?:"[^"]+"|[\w$]+))?)/gi, kind: 'table' },
  { pattern: /\bupdate\s+(?:only\s+)?((?:"[^"]+"|[\w$]+)(?:\.(?:"[^"]+"|[\w$]+))?)\s+(?:(?:as\s+)?[\w$]+\s+)?set\b/gi, kind: 'table' },
  { pattern: /\bcopy\s+[\s\S]*?\bto\b/gi, kind: 'COPY ... TO' },
  { pattern: /\bdblink(?:_exec|_send_query)?\s*\(/gi, kind: 'dblink' },
  { pattern: /\bpg_notify\s*\(|\bnotify\s+[\w$"]/gi, kind: 'NOTIFY' },
] as const;

const unquote = (part: string) => (part.startsWith('"') ? part.slice(1, -1).replaceAll('""', '"') : part.toLowerCase());

/** A name in SQL text as a table reference: `"usa".identity_details` -> { schemaname: 'usa', relname: 'identity_details' }. */
function refOf(text: string): TableRef {
  const parts = text.match(/"(?:[^"]|"")+"|[^.]+/g) ?? [text];
  const [a, b] = parts.map(unquote);
  return b === undefined ? { relname: a! } : { schemaname: a!, relname: b };
}

/** What a function body written as text reads and writes: the personal tables it names, and where it writes that is not one. */
function scanBody(body: string, model: ResidencyModel): { reads: string[]; writes: string[] } {
  const text = body.replace(/--[^\n]*/g, ' ');
  const reads = [...model.personalNames].filter((name) => new RegExp(`(^|[^\\w$])"?${name}"?([^\\w$]|$)`, 'i').test(text));
  const writes: string[] = [];
  for (const { pattern, kind } of WRITES) {
    for (const match of text.matchAll(pattern)) {
      if (kind !== 'table') writes.push(kind);
      else if (model.personal(refOf(match[1]!)) === undefined) writes.push(match[1]!);
    }
  }
  return { reads, writes };
}

/**
 * RL003 (a heuristic, so a warning): a function that reads a personal table
 * and writes somewhere that is not one (another table, COPY, dblink, NOTIFY).
 * pg-residency's generated functions are the sanctioned path and are skipped.
 */
export const personalFunction: LintRule = {
  id: 'RL003',
  level: 'warning',
  title: 'a function that reads personal tables and writes elsewhere',
  check({ type, node, location }, model) {
    if (type !== 'CreateFunctionStmt') return [];
    const qualified = names(node.funcname);
    const name = qualified.at(-1) ?? '?';
    const schema = qualified.length > 1 ? qualified.at(-2) : undefined;
    if (model.isGeneratedFunction(schema, name)) return [];
    let reads: string[];
    let writes: string[];
    if (node.sql_body !== undefined) {
      // BEGIN ATOMIC ... END: parsed with the function
      const refs = collect(node.sql_body, 'RangeVar').map(tableRef);
      reads = refs.flatMap((r) => (r && model.personal(r) ? [r.relname] : []));
      writes = [...collect(node.sql_body, 'InsertStmt'), ...collect(node.sql_body, 'UpdateStmt')]
        .map((s) => tableRef(s.relation))
        .flatMap((r) => (r && model.personal(r) === undefined ? [r.relname] : []));
    } else {
      const body = nodeOf(option(node.options, 'as'), 'List')?.items;
      const text = Array.isArray(body) ? (stringOf(body[0]) ?? '') : '';
      ({ reads, writes } = scanBody(text, model));
    }
    if (reads.length === 0 || writes.length === 0) return [];
    const label = schema === undefined ? name : `${schema}.${name}`;
    return [
      {
        location,
        message: `function ${label} reads personal table${reads.length > 1 ? 's' : ''} ${[...new Set(reads)].join(', ')} and writes elsewhere (${[...new Set(writes)].join(', ')}): it may copy personal columns out of their home region`,
        fix: 'keep personal columns in the details tables: write only keys, regions and mirrored columns elsewhere, and change personal rows through the generated upsert_/rehome_/erase_ functions',
      },
    ];
  },
};
