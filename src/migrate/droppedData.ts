import { REGISTRY_SCHEMA } from '../config/derivedNames.js';
import { migrationSection } from '../format/migrationSection.js';
import { loadSqlParser, parseStatements } from '../sql/parseSql.js';
import { names, nodeOf, tableRef } from '../sql/sqlAst.js';

const quoted = (...parts: (string | undefined)[]) =>
  parts
    .filter((p): p is string => p !== undefined)
    .map((p) => JSON.stringify(p))
    .join('.');

/**
 * What reverting a migration file would destroy: each table its down section
 * drops, and each column it drops from a table (foreign tables hold no rows
 * of their own, so dropping one loses nothing). pg-residency's own tables in
 * its `residency` schema (the registry, commit records, admin to-dos) are its
 * bookkeeping, not the application's rows, and are not counted. Read with
 * PostgreSQL's own parser, from the file's bytes.
 * @example await droppedData(content) // ['table "shared"."identity"', 'column "tier" of "shared"."identity"']
 */
export async function droppedData(content: string): Promise<string[]> {
  await loadSqlParser();
  const dropped: string[] = [];
  for (const { stmt } of parseStatements(migrationSection(content, 'down'))) {
    const drop = nodeOf(stmt, 'DropStmt');
    if (drop?.removeType === 'OBJECT_TABLE')
      for (const o of Array.isArray(drop.objects) ? drop.objects : []) {
        const name = names(nodeOf(o, 'List')?.items);
        if (name.length === 2 && name[0] === REGISTRY_SCHEMA) continue;
        dropped.push(`table ${quoted(...name)}`);
      }
    const alter = nodeOf(stmt, 'AlterTableStmt');
    if (alter?.objtype === 'OBJECT_TABLE') {
      const relation = tableRef(alter.relation);
      for (const c of Array.isArray(alter.cmds) ? alter.cmds : []) {
        const cmd = nodeOf(c, 'AlterTableCmd');
        if (cmd?.subtype === 'AT_DropColumn' && typeof cmd.name === 'string')
          dropped.push(`column ${quoted(cmd.name)} of ${quoted(relation?.schemaname, relation?.relname)}`);
      }
    }
  }
  return dropped;
}
