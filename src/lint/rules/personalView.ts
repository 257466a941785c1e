import type { LintRule, RuleHit } from '../lintRule.js';
import { apiHint, tableName, whoseRows, type PersonalTable, type ResidencyModel } from '../residencyModel.js';
import { collect, columnRefParts, tableRef, type AstFields, type TableRef } from '../../sql/sqlAst.js';

/** The personal columns a query's select lists expose from the personal tables it reads. */
export function exposedColumns(query: unknown, model: ResidencyModel): { table: PersonalTable; ref: TableRef; columns: string[] }[] {
  const reads = collect(query, 'RangeVar')
    .map(tableRef)
    .filter((ref): ref is TableRef => ref !== undefined)
    .map((ref) => ({ ref, table: model.personal(ref) }))
    .filter((r): r is { ref: TableRef; table: PersonalTable } => r.table !== undefined);
  if (reads.length === 0) return [];
  const refs = collect(collect(query, 'ResTarget'), 'ColumnRef').map(columnRefParts);
  return reads
    .map(({ ref, table }) => {
      const label = ref.alias?.aliasname ?? ref.relname;
      const resident = table.entity.resident.map((c) => c.name);
      const columns = new Set<string>();
      for (const parts of refs) {
        const last = parts.at(-1)!;
        const qualifier = parts.length > 1 ? parts.at(-2) : undefined;
        if (qualifier !== undefined && qualifier !== label) continue;
        if (last === '*' || (parts.length === 1 && last === label)) resident.forEach((c) => columns.add(c));
        else if (resident.includes(last)) columns.add(last);
      }
      return { ref, table, columns: [...columns] };
    })
    .filter((r) => r.columns.length > 0);
}

/**
 * RL001: a view, materialized view or table made from a query (CREATE TABLE
 * AS, SELECT INTO) that selects personal columns of a details parent or leaf.
 * A view hands them to whoever may read it, bypassing the generated API; a
 * materialized view or a table copies them into the region that runs it.
 */
export const personalView: LintRule = {
  id: 'RL001',
  level: 'error',
  title: 'a view, materialized view or CREATE TABLE AS that exposes or copies personal columns',
  check({ type, node }, model) {
    let kind: string;
    let name: string;
    let query: unknown;
    if (type === 'ViewStmt') {
      kind = 'view';
      name = tableRef(node.view)?.relname ?? '?';
      query = node.query;
    } else if (type === 'CreateTableAsStmt') {
      kind = node.objtype === 'OBJECT_MATVIEW' ? 'materialized view' : 'table';
      name = tableRef((node.into as AstFields | undefined)?.rel)?.relname ?? '?';
      query = node.query;
    } else if (type === 'SelectStmt' && node.intoClause !== undefined) {
      kind = 'table';
      name = tableRef((node.intoClause as AstFields).rel)?.relname ?? '?';
      query = { ...node, intoClause: undefined };
    } else return [];
    return exposedColumns(query, model).map(({ ref, table, columns }): RuleHit => {
      const list = columns.map((c) => `"${c}"`).join(', ');
      const what =
        kind === 'view'
          ? `hands ${whoseRows(table)} to anyone who may read the view, outside the generated API`
          : `copies ${whoseRows(table)} into the database that runs this migration`;
      return {
        location: ref.location,
        message: `${kind} "${name}" selects personal column${columns.length > 1 ? 's' : ''} ${list} of ${tableName(table)}: it ${what}`,
        fix: `select only the key, the region and mirrored columns, or ${apiHint(table.entity)}`,
      };
    });
  },
};
