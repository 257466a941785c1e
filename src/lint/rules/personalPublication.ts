import type { LintRule, RuleHit } from '../lintRule.js';
import { tableName } from '../residencyModel.js';
import { nodeOf, tableRef, type AstFields } from '../../sql/sqlAst.js';

/**
 * RL004: a publication of a personal table (by name, FOR TABLES IN SCHEMA of
 * a schema that holds one, or FOR ALL TABLES). Logical replication ships
 * every published row to the subscriber, wherever it runs.
 */
export const personalPublication: LintRule = {
  id: 'RL004',
  level: 'error',
  title: 'a publication that includes a personal table',
  check({ type, node, location }, model) {
    if (type !== 'CreatePublicationStmt' && type !== 'AlterPublicationStmt') return [];
    if (type === 'AlterPublicationStmt' && node.action === 'AP_DropObjects') return [];
    const pub = String(node.pubname);
    const fix = `publish only non-personal tables: the directories (${model.config.entities.map((e) => `${e.schema}.${e.name}`).join(', ')}) hold what every region may see`;
    if (node.for_all_tables === true)
      return [{ location, message: `publication "${pub}" is FOR ALL TABLES, so it ships every personal leaf too`, fix }];
    const hits: RuleHit[] = [];
    for (const item of Array.isArray(node.pubobjects) ? node.pubobjects : []) {
      const spec = nodeOf(item, 'PublicationObjSpec');
      if (spec === undefined) continue;
      if (spec.pubobjtype === 'PUBLICATIONOBJ_TABLE') {
        const ref = tableRef((spec.pubtable as AstFields | undefined)?.relation);
        const table = ref && model.personal(ref);
        if (ref && table)
          hits.push({
            location: ref.location,
            message: `publication "${pub}" ships the personal rows of ${tableName(table)} to its subscribers`,
            fix,
          });
      } else if (spec.pubobjtype === 'PUBLICATIONOBJ_TABLES_IN_SCHEMA' && typeof spec.name === 'string') {
        const held = model.inSchema(spec.name);
        if (held.length > 0)
          hits.push({
            location: typeof spec.location === 'number' ? spec.location : undefined,
            message: `publication "${pub}" publishes every table of schema "${spec.name}", which holds the personal table${held.length > 1 ? 's' : ''} ${held.map(tableName).join(', ')}`,
            fix,
          });
      }
    }
    return hits;
  },
};
