import type { LintRule } from '../lintRule.js';
import { tableName, type PersonalTable, type ResidencyModel } from '../residencyModel.js';
import { names, nodeOf, option, stringOf, tableRef, type AstFields } from '../../sql/sqlAst.js';

function grantees(list: unknown): string[] {
  return (Array.isArray(list) ? list : []).map((item) => {
    const role = nodeOf(item, 'RoleSpec') ?? (item as AstFields);
    if (role.roletype === 'ROLESPEC_PUBLIC') return 'PUBLIC';
    if (typeof role.rolename === 'string') return role.rolename;
    return String(role.roletype).replace('ROLESPEC_', '');
  });
}

function grantedTables(grant: AstFields, model: ResidencyModel, schemas: readonly string[]): PersonalTable[] {
  if (grant.objtype !== 'OBJECT_TABLE') return [];
  if (grant.targtype === 'ACL_TARGET_OBJECT')
    return (Array.isArray(grant.objects) ? grant.objects : []).flatMap((o) => {
      const ref = tableRef(nodeOf(o, 'RangeVar'));
      const table = ref && model.personal(ref);
      return table ? [table] : [];
    });
  const inSchemas = grant.targtype === 'ACL_TARGET_ALL_IN_SCHEMA' ? names(grant.objects) : schemas;
  return inSchemas.flatMap((s) => model.inSchema(s));
}

/**
 * RL005: GRANT on a personal table (by name, ON ALL TABLES IN SCHEMA, or ALTER
 * DEFAULT PRIVILEGES in such a schema) to a role other than the app roles and
 * the link role: that role reads personal rows outside the generated API.
 */
export const personalGrant: LintRule = {
  id: 'RL005',
  level: 'error',
  title: 'GRANT on a personal table to a role other than the app roles',
  check({ type, node, location }, model) {
    let grant: AstFields | undefined;
    let schemas: string[] = [];
    if (type === 'GrantStmt') grant = node;
    else if (type === 'AlterDefaultPrivilegesStmt') {
      grant = node.action as AstFields | undefined;
      const listed = nodeOf(option(node.options, 'schemas'), 'List')?.items;
      schemas = (Array.isArray(listed) ? listed : []).map(stringOf).filter((s): s is string => s !== undefined);
      // without IN SCHEMA, default privileges apply to every schema
      if (schemas.length === 0)
        schemas = [...new Set(model.config.entities.map((e) => e.schema)), ...model.config.regions.map((r) => r.name)];
    }
    if (grant === undefined || grant.is_grant !== true) return [];
    const tables = grantedTables(grant, model, schemas);
    const outsiders = grantees(grant.grantees).filter((role) => !model.trustedRoles.has(role));
    if (tables.length === 0 || outsiders.length === 0) return [];
    return [
      {
        location,
        message: `grants ${[...new Set(tables.map(tableName))].join(', ')} to ${outsiders.map((r) => (r === 'PUBLIC' ? r : `"${r}"`)).join(', ')}: ${outsiders.length > 1 ? 'they read' : 'it reads'} personal rows outside the generated API`,
        fix: `add the role to app_roles in regions.yaml (migrate makes it a member of the app group "${model.config.appGroup}", which may call the generated functions), or grant the directory table instead`,
      },
    ];
  },
};
