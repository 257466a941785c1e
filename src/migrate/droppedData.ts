import { loadModule, parseSync } from 'libpg-query';
import { REGISTRY_SCHEMA } from '../config/derivedNames.js';
import { migrationSection } from '../format/migrationSection.js';

type Names = readonly { readonly String?: { readonly sval?: string } }[];
type RangeVar = { readonly schemaname?: string; readonly relname?: string };

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
  await loadModule();
  const parsed = parseSync(migrationSection(content, 'down')) as { stmts?: readonly { stmt: Record<string, unknown> }[] };
  const dropped: string[] = [];
  for (const { stmt } of parsed.stmts ?? []) {
    const drop = stmt.DropStmt as { removeType?: string; objects?: readonly { List?: { items?: Names } }[] } | undefined;
    if (drop?.removeType === 'OBJECT_TABLE')
      for (const o of drop.objects ?? []) {
        const name = (o.List?.items ?? []).map((n) => n.String?.sval);
        if (name.length === 2 && name[0] === REGISTRY_SCHEMA) continue;
        dropped.push(`table ${quoted(...name)}`);
      }
    const alter = stmt.AlterTableStmt as
      { objtype?: string; relation?: RangeVar; cmds?: readonly { AlterTableCmd?: { subtype?: string; name?: string } }[] } | undefined;
    if (alter?.objtype === 'OBJECT_TABLE')
      for (const c of alter.cmds ?? [])
        if (c.AlterTableCmd?.subtype === 'AT_DropColumn')
          dropped.push(`column ${quoted(c.AlterTableCmd.name)} of ${quoted(alter.relation?.schemaname, alter.relation?.relname)}`);
  }
  return dropped;
}
