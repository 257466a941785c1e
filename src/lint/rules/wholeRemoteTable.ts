import { derivedNames } from '../../config/derivedNames.js';
import type { LintRule, RuleHit } from '../lintRule.js';
import { tableName, type PersonalTable } from '../residencyModel.js';
import { collect, columnRefParts, nodeOf, tableRef, type AstFields, type TableRef } from '../../sql/sqlAst.js';

/** The tables a SELECT reads in its own FROM clause (joins included, subqueries not: they are SELECTs of their own). */
function fromTables(select: AstFields): TableRef[] {
  const out: TableRef[] = [];
  const visit = (item: unknown): void => {
    const rv = tableRef(nodeOf(item, 'RangeVar'));
    if (rv) out.push(rv);
    const join = nodeOf(item, 'JoinExpr');
    if (join) [join.larg, join.rarg].forEach(visit);
  };
  (Array.isArray(select.fromClause) ? select.fromClause : []).forEach(visit);
  return out;
}

/**
 * The columns a WHERE clause conditions for `ref`: unqualified ones (a join's
 * USING column included) and those qualified by its alias or name. A
 * condition on another table's column (`m.uuid = ANY ($1)` on the directory
 * joined with the parent) does not reach the parent's foreign scans: they
 * still fetch every row.
 */
function conditionedColumns(where: unknown, ref: TableRef): Set<string | undefined> {
  const own = ref.alias?.aliasname ?? ref.relname;
  return new Set(
    collect(where, 'ColumnRef')
      .map(columnRefParts)
      .filter((parts) => parts.length === 1 || parts.at(-2) === own)
      .map((parts) => parts.at(-1)),
  );
}

/**
 * RL007 (a warning): a SELECT on a details parent with no condition of its
 * own on the region column nor the key. postgres_fdw then fetches every
 * region's whole table, personal columns included, into the region that
 * runs the query.
 */
export const wholeRemoteTable: LintRule = {
  id: 'RL007',
  level: 'warning',
  title: 'a SELECT on a details parent without a region or key condition',
  check({ node, type }, model) {
    const selects = [...(type === 'SelectStmt' ? [node] : []), ...collect(node, 'SelectStmt')];
    const hits: RuleHit[] = [];
    for (const select of selects) {
      for (const ref of fromTables(select)) {
        const table: PersonalTable | undefined = model.personal(ref);
        if (table?.kind !== 'parent') continue;
        const { entity } = table;
        const conditioned = conditionedColumns(select.whereClause, ref);
        if (conditioned.has(entity.regionColumn) || conditioned.has(entity.key.name)) continue;
        const names = derivedNames(entity.name);
        hits.push({
          location: ref.location,
          message: `SELECT on ${tableName(table)} with no condition of its own on "${entity.regionColumn}" or "${entity.key.name}": postgres_fdw fetches every region's whole table, personal columns included, into the region that runs it`,
          fix:
            `filter the parent itself on the region (WHERE ${entity.regionColumn} = '<region>': partition pruning reads one region), ` +
            `or ask the owners: ${entity.schema}.${names.getMany}(keys) for rows by key, ${entity.schema}.${names.countByRegion}(filter) for counts, ` +
            `${entity.schema}.${names.find}(filter, page_size) for a page by mirrored columns (docs/guides/reading.md)`,
        });
      }
    }
    return hits;
  },
};
