import type { LintRule } from '../lintRule.js';
import { tableName } from '../residencyModel.js';
import { nodeOf, option, stringOf, tableRef, type AstFields } from '../../sql/sqlAst.js';

/**
 * RL006: a foreign table (or IMPORT FOREIGN SCHEMA) that points at a personal
 * table: it reads another region's personal rows outside the generated
 * partitions. The generated foreign partitions (a region's leaf under the same
 * schema and name) are the sanctioned ones.
 */
export const personalForeignTable: LintRule = {
  id: 'RL006',
  level: 'error',
  title: 'a foreign table that points at a personal table',
  check({ type, node, location }, model) {
    const fix = `drop it: the details parent already reaches each region's leaf through the generated foreign partitions, and the generated get_ functions read a row in its home region`;
    if (type === 'CreateForeignTableStmt') {
      const local = tableRef((node.base as AstFields | undefined)?.relation);
      if (local === undefined) return [];
      const remoteSchema = stringOf(option(node.options, 'schema_name')) ?? local.schemaname ?? 'public';
      const remoteName = stringOf(option(node.options, 'table_name')) ?? local.relname;
      const table = model.personal({ schemaname: remoteSchema, relname: remoteName });
      if (table === undefined) return [];
      // the generated mapping: region r's leaf as "r"."<entity>_details" here
      if (table.kind !== 'parent' && local.schemaname === remoteSchema && local.relname === remoteName) return [];
      return [
        {
          location: local.location ?? location,
          message: `foreign table ${local.schemaname ? `${local.schemaname}.` : ''}${local.relname} on server "${String(node.servername)}" points at the personal table ${tableName(table)}`,
          fix,
        },
      ];
    }
    if (type === 'ImportForeignSchemaStmt') {
      const schema = String(node.remote_schema);
      const listed = (Array.isArray(node.table_list) ? node.table_list : []).map((t) => tableRef(nodeOf(t, 'RangeVar'))?.relname);
      const held = model
        .inSchema(schema)
        .filter((t) =>
          node.list_type === 'FDW_IMPORT_SCHEMA_LIMIT_TO'
            ? listed.includes(t.name)
            : node.list_type === 'FDW_IMPORT_SCHEMA_EXCEPT'
              ? !listed.includes(t.name)
              : true,
        );
      if (held.length === 0) return [];
      return [
        {
          location,
          message: `IMPORT FOREIGN SCHEMA "${schema}" from server "${String(node.server_name)}" makes foreign tables of the personal table${held.length > 1 ? 's' : ''} ${held.map(tableName).join(', ')}`,
          fix: `import with LIMIT TO non-personal tables only, or ${fix.slice(0, 1).toLowerCase()}${fix.slice(1)}`,
        },
      ];
    }
    return [];
  },
};
