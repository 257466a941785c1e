import { loadModule, parseSync } from 'libpg-query';
import { sectionBodies } from '../format/migrationSection.js';

let loaded: Promise<void> | undefined;

/** Loads the parser (WebAssembly) once; legacyRuntimeSql needs it. */
export function loadLegacyParser(): Promise<void> {
  loaded ??= loadModule();
  return loaded;
}

interface ParsedStatement {
  readonly stmt: Record<string, unknown>;
  readonly stmt_location?: number;
  readonly stmt_len?: number;
}

type Names = readonly { readonly String?: { readonly sval?: string } }[];

const nameOf = (names: Names | undefined) => (names ?? []).map((n) => n.String?.sval ?? '');

/** The schema-qualified name a function statement is about, or undefined when it is about no function. */
function functionName(stmt: Record<string, unknown>): readonly string[][] {
  const create = stmt.CreateFunctionStmt as { funcname?: Names } | undefined;
  if (create !== undefined) return [nameOf(create.funcname)];
  type Objects = { objects?: readonly { ObjectWithArgs?: { objname?: Names } }[] };
  const objects = (s: Objects) => (s.objects ?? []).map((o) => nameOf(o.ObjectWithArgs?.objname));
  const grant = stmt.GrantStmt as (Objects & { objtype?: string }) | undefined;
  if (grant?.objtype === 'OBJECT_FUNCTION') return objects(grant);
  const drop = stmt.DropStmt as (Objects & { removeType?: string }) | undefined;
  if (drop?.removeType === 'OBJECT_FUNCTION') return objects(drop);
  return [];
}

/** The statements of one section that create, grant or drop functions of `schema` (named `names`, else any). */
function functionStatements(sql: string, schema: string, names: readonly string[] | undefined): string[] {
  const bytes = Buffer.from(sql, 'utf8');
  const parsed = parseSync(sql) as { stmts?: readonly ParsedStatement[] };
  const out: string[] = [];
  for (const s of parsed.stmts ?? []) {
    const targets = functionName(s.stmt);
    const ours = targets.some(([first, second]) => first === schema && (names === undefined || names.includes(second ?? '')));
    if (!ours) continue;
    const start = s.stmt_location ?? 0;
    const text = bytes.subarray(start, s.stmt_len === undefined || s.stmt_len === 0 ? undefined : start + s.stmt_len).toString('utf8');
    // a statement's text starts after the previous one's `;`: drop the comments and blank lines before it
    out.push(`${text.replace(/^(\s*--[^\n]*\n|\s*\n)*/, '').trim()};`);
  }
  return out;
}

/**
 * From a migration file generated before pg-residency recorded its runtime
 * objects (state.json without `runtime ...` ids): the statements that
 * created and granted the functions of `schema` (only `names`, when given),
 * and the statements of its down section that drop them. Parsed with
 * PostgreSQL's own parser (libpg-query), since such a file has no markers.
 * Undefined when the file creates none of them.
 */
export function legacyRuntimeSql(
  content: string,
  schema: string,
  names?: readonly string[],
): { readonly up: string; readonly down: string } | undefined {
  const sections = sectionBodies(content);
  const up = functionStatements(sections.up, schema, names);
  if (!up.some((s) => /^CREATE\s/i.test(s))) return undefined;
  const down = functionStatements(sections.down, schema, names);
  return { up: up.join('\n\n'), down: down.join('\n') };
}
