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
 * RL007 (a warning): a SELECT on a details parent with no condition on the
 * region column nor the key. postgres_fdw then fetches every region's whole
 * table, personal columns included, into the region that runs the query.
 */
export const wholeRemoteTable: LintRule = {
  id: 'RL007',
  level: 'warning',
  title: 'a SELECT on a details parent without a region or key condition',
  check({ node, type }, model) {
    const selects = [...(type === 'SelectStmt' ? [node] : []), ...collect(node, 'SelectStmt')];
    const hits: RuleHit[] = [];
    for (const select of selects) {
      const conditioned = new Set(collect(select.whereClause, 'ColumnRef').map((c) => columnRefParts(c).at(-1)));
      for (const ref of fromTables(select)) {
        const table: PersonalTable | undefined = model.personal(ref);
        if (table?.kind !== 'parent') continue;
        const { entity } = table;
        if (conditioned.has(entity.regionColumn) || conditioned.has(entity.key.name)) continue;
        hits.push({
          location: ref.location,
          message: `SELECT on ${tableName(table)} with no condition on "${entity.regionColumn}" or "${entity.key.name}": postgres_fdw fetches every region's whole table into the region that runs it`,
          fix: `filter on the region (WHERE ${entity.regionColumn} = '<region>': partition pruning reads one region) or read one row with ${entity.schema}.${derivedNames(entity.name).get}(${entity.key.name})`,
        });
      }
    }
    return hits;
  },
};
