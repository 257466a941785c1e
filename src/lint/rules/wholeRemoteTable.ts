import { derivedNames } from '../../config/derivedNames.js';
import type { LintRule, RuleHit } from '../lintRule.js';
import { tableName, type PersonalTable } from '../residencyModel.js';
import { collect, columnRefParts, names, nodeOf, tableRef, type AstFields, type TableRef } from '../../sql/sqlAst.js';

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

/** Whether a ColumnRef belongs to `ref` (unqualified, or qualified by its alias or name). */
function ownColumn(fields: AstFields, ref: TableRef): string | undefined {
  const parts = columnRefParts(fields);
  const own = ref.alias?.aliasname ?? ref.relname;
  return parts.length === 1 || parts.at(-2) === own ? parts.at(-1) : undefined;
}

/**
 * Whether every condition of the WHERE clause on column `key` of `ref` is a
 * list (`key = ANY (...)`, `key IN (...)`): postgres_fdw cannot route a list
 * of keys to their partitions, so every region's leaf is asked.
 */
function keysOnlyAsList(where: unknown, ref: TableRef, key: string): boolean {
  const onKey = collect(where, 'A_Expr').filter((e) =>
    [e.lexpr, e.rexpr].some((side) => {
      const column = nodeOf(side, 'ColumnRef') ?? (side as AstFields | undefined);
      return column !== undefined && Array.isArray(column.fields) && ownColumn(column, ref) === key;
    }),
  );
  return onKey.length > 0 && onKey.every((e) => e.kind === 'AEXPR_OP_ANY' || e.kind === 'AEXPR_IN');
}

/** The aggregates a SELECT is most often written with; a FuncCall with OVER is a window function, not one of them. */
const AGGREGATES = new Set([
  'count',
  'sum',
  'avg',
  'min',
  'max',
  'array_agg',
  'string_agg',
  'bool_and',
  'bool_or',
  'every',
  'json_agg',
  'jsonb_agg',
]);

/** Whether the SELECT's own target list aggregates (subqueries are SELECTs of their own). */
function aggregates(select: AstFields): boolean {
  const targets = Array.isArray(select.targetList) ? select.targetList : [];
  return targets.some((target) => {
    const calls = collect(target, 'FuncCall').filter((f) => f.over === undefined);
    return calls.some((f) => AGGREGATES.has(names(f.funcname).at(-1) ?? ''));
  });
}

/** Whether the SELECT groups by `ref`'s region column. */
function groupsByRegion(select: AstFields, ref: TableRef, region: string): boolean {
  const groups = Array.isArray(select.groupClause) ? select.groupClause : [];
  return groups.some((g) => {
    const column = nodeOf(g, 'ColumnRef');
    return column !== undefined && ownColumn(column, ref) === region;
  });
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
        const derived = derivedNames(entity.name);
        const api = `${entity.schema}.${derived.getMany}(keys)`;
        const counts = `${entity.schema}.${derived.countByRegion}(filter)`;
        const region = entity.regionColumn;
        const pushdown = `GROUP BY ${region} with enable_partitionwise_aggregate = on (PostgreSQL 11+) pushes the aggregate down to each region (docs/guides/reading.md)`;
        if (conditioned.has(entity.key.name)) {
          if (conditioned.has(region) || !keysOnlyAsList(select.whereClause, ref, entity.key.name)) continue;
          hits.push({
            location: ref.location,
            message: `SELECT on ${tableName(table)} with a list of keys ("${entity.key.name}" = ANY or IN) and no "${region}" condition: postgres_fdw cannot route the keys to their regions, so it asks every region's table, each through a cursor (about 5 round trips per region, one region after the other before PostgreSQL 14)`,
            fix: `${api}: one query per owner of the keys, all at once (docs/guides/reading.md)`,
          });
          continue;
        }
        if (conditioned.has(region)) {
          if (!aggregates(select) || groupsByRegion(select, ref, region)) continue;
          hits.push({
            location: ref.location,
            message: `aggregate on ${tableName(table)} filtered on "${region}" without GROUP BY "${region}": postgres_fdw fetches that region's whole table, personal columns included, to aggregate it in the region that runs it`,
            fix: `${counts} for counts (the owners count), or add ${pushdown}`,
          });
          continue;
        }
        hits.push({
          location: ref.location,
          message: `SELECT on ${tableName(table)} with no condition of its own on "${region}" or "${entity.key.name}": postgres_fdw fetches every region's whole table, personal columns included, into the region that runs it`,
          fix:
            `filter the parent itself on the region (WHERE ${region} = '<region>': partition pruning reads one region), ` +
            `or ask the owners: ${api} for rows by key, ${counts} for counts, ` +
            `${entity.schema}.${derived.find}(filter, page_size) for a page by mirrored columns` +
            (aggregates(select) ? `; for another aggregate per region, ${pushdown.replace(' (docs/guides/reading.md)', '')}` : '') +
            ' (docs/guides/reading.md)',
        });
      }
    }
    return hits;
  },
};
