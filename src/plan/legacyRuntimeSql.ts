import { sectionBodies } from '../format/migrationSection.js';
import { parseStatements } from '../sql/parseSql.js';
import { names, nodeOf, type AstFields } from '../sql/sqlAst.js';

/** The schema-qualified names of the functions a statement creates, grants or drops (none for any other statement). */
function functionNames(stmt: AstFields): string[][] {
  const create = nodeOf(stmt, 'CreateFunctionStmt');
  if (create !== undefined) return [names(create.funcname)];
  const objects = (fields: AstFields) =>
    (Array.isArray(fields.objects) ? fields.objects : []).map((o) => names(nodeOf(o, 'ObjectWithArgs')?.objname));
  const grant = nodeOf(stmt, 'GrantStmt');
  if (grant?.objtype === 'OBJECT_FUNCTION') return objects(grant);
  const drop = nodeOf(stmt, 'DropStmt');
  if (drop?.removeType === 'OBJECT_FUNCTION') return objects(drop);
  return [];
}

/** The statements of one section that create, grant or drop functions of `schema` (named `only`, else any). */
function functionStatements(sql: string, schema: string, only: readonly string[] | undefined): string[] {
  const bytes = Buffer.from(sql, 'utf8');
  const out: string[] = [];
  for (const s of parseStatements(sql)) {
    const ours = functionNames(s.stmt).some(([first, second]) => first === schema && (only === undefined || only.includes(second ?? '')));
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
 * PostgreSQL's own parser (load it first: loadSqlParser), since such a file
 * has no markers. Undefined when the file creates none of them.
 */
export function legacyRuntimeSql(
  content: string,
  schema: string,
  only?: readonly string[],
): { readonly up: string; readonly down: string } | undefined {
  const sections = sectionBodies(content);
  const up = functionStatements(sections.up, schema, only);
  if (!up.some((s) => /^CREATE\s/i.test(s))) return undefined;
  const down = functionStatements(sections.down, schema, only);
  return { up: up.join('\n\n'), down: down.join('\n') };
}
