import { REGISTRY_SCHEMA } from '../../config/derivedNames.js';
import type { Entity } from '../../config/types.js';
import { ident, qualified } from '../../sql/quote.js';
import { entityKey } from '../apiShape.js';
import { entityContext } from '../entityContext.js';
import { appGroupBlock, functionGrantsBlock } from '../planRegion.js';
import { EXPAND, inverse, ownFile, quoteName, RANK, renderIn, type ChangeOp, type OpContext } from './changeOp.js';

/**
 * A history generated before the app group (state.json's fleet without
 * `appGroup`), whose app roles were granted each object directly: the group
 * is created and the app roles of regions.yaml made its members first in
 * expand (before a new entity grants it anything), then a remote file of its
 * own (`app_group`, after the functions of the step exist) grants the group
 * every kept entity's rights and revokes the old roles' direct ones. Down
 * gives the direct grants back and takes the group's away; the group itself
 * stays, like the link role.
 */
export function adoptAppGroup(ctx: OpContext, keptEntities: readonly Entity[]): ChangeOp {
  const group = ctx.newConfig.appGroup;
  const oldRoles = ctx.from.appRoles;
  const summary = `the app group ${quoteName(group)}: it holds the app's grants, ${
    ctx.to.appRoles.length > 0 ? `${ctx.to.appRoles.map(quoteName).join(', ')} become its members` : 'no app role yet'
  }`;
  return {
    kind: 'adopt_app_group',
    summary,
    wave: 'local',
    destroys: [],
    validate: () => [],
    render: () => {
      const { newConfig, here } = ctx;
      const grants = keptEntities.flatMap((entity) => {
        const shape = ctx.newShapes[entityKey(entity)];
        // the API as it is once the step's functions files ran (this file runs after them)
        const to = (roles: readonly string[]) => [
          renderIn(ctx, newConfig, 'app_grants', { entity: entityContext(newConfig, entity, here), roles }),
          ctx.render(newConfig, functionGrantsBlock(newConfig, here, entity, roles, shape, true)),
        ];
        return [...to([group]), ...(oldRoles.length > 0 ? to(oldRoles).map(inverse) : [])];
      });
      const roles = oldRoles.map(ident).join(', ');
      const registryUsage =
        oldRoles.length > 0
          ? [
              {
                up: `REVOKE EXECUTE ON FUNCTION ${qualified(REGISTRY_SCHEMA, 'resolve')}() FROM ${roles};\nREVOKE USAGE ON SCHEMA ${ident(REGISTRY_SCHEMA)} FROM ${roles};`,
                down: `GRANT USAGE ON SCHEMA ${ident(REGISTRY_SCHEMA)} TO ${roles};\nGRANT EXECUTE ON FUNCTION ${qualified(REGISTRY_SCHEMA, 'resolve')}() TO ${roles};`,
                template: 'app_grants',
              },
            ]
          : [];
      return [
        {
          target: EXPAND,
          rank: -2,
          blocks: [ctx.render(newConfig, appGroupBlock(newConfig, here, ctx.to.appRoles))],
          change: summary,
        },
        ...(grants.length + registryUsage.length > 0
          ? [
              {
                target: ownFile('app_group', RANK.grants, 'none'),
                blocks: [...grants, ...registryUsage],
                change: `grant the app group what ${
                  oldRoles.length > 0 ? `${oldRoles.map(quoteName).join(', ')} held directly, and revoke theirs` : 'the app needs'
                }`,
              },
            ]
          : []),
      ];
    },
  };
}
