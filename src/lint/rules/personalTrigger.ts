import type { LintRule } from '../lintRule.js';
import { tableName } from '../residencyModel.js';
import { tableRef } from '../../sql/sqlAst.js';

/**
 * RL002: a trigger or rule on a personal table. It runs on every write of a
 * personal row and sees all its columns, so it can copy them to an audit
 * table, a queue or another region.
 */
export const personalTrigger: LintRule = {
  id: 'RL002',
  level: 'error',
  title: 'a trigger or rule on a personal table',
  check({ type, node }, model) {
    if (type !== 'CreateTrigStmt' && type !== 'RuleStmt') return [];
    const ref = tableRef(node.relation);
    const table = ref && model.personal(ref);
    if (ref === undefined || table === undefined) return [];
    const what = type === 'CreateTrigStmt' ? `trigger "${String(node.trigname)}"` : `rule "${String(node.rulename)}"`;
    const { entity } = table;
    return [
      {
        location: ref.location,
        message: `${what} on ${tableName(table)} runs on every write of a personal row and can copy its columns out of its home region`,
        fix: `drop it; to react to writes, watch the directory ${entity.schema}.${entity.name} (key, region, mirrored columns), which every region holds`,
      },
    ];
  },
};
