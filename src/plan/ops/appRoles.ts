import type { Entity } from '../../config/types.js';
import { entityKey } from '../apiShape.js';
import { entityContext } from '../entityContext.js';
import { functionGrantsBlock } from '../planRegion.js';
import { deployedShape } from './replaceCode.js';
import { CONTRACT, EXPAND, inverse, quoteName, renderIn, type ChangeOp, type OpContext } from './changeOp.js';

/**
 * USAGE on an entity's schema, SELECT on its tables and EXECUTE on its
 * functions as they are before the step for new app_roles (local wave,
 * expand): grants only, no function replaced (an overload the step adds is
 * granted where it is created).
 */
export function grantAppRoles(ctx: OpContext, entity: Entity, roles: readonly string[], before: Entity): ChangeOp {
  const summary = `grant ${entityKey(entity)} to ${roles.map(quoteName).join(', ')}`;
  return {
    kind: 'grant_app_roles',
    summary,
    wave: 'local',
    destroys: [],
    validate: () => [],
    render: () => [
      {
        target: EXPAND,
        blocks: [
          renderIn(ctx, ctx.newConfig, 'app_grants', { entity: entityContext(ctx.newConfig, entity, ctx.here), roles }),
          ctx.render(ctx.newConfig, functionGrantsBlock(ctx.newConfig, ctx.here, entity, roles, deployedShape(ctx, before), true)),
        ],
        change: summary,
      },
    ],
  };
}

/** The grants of app_roles regions.yaml no longer lists, revoked, functions' included (local wave, contract). */
export function revokeAppRoles(ctx: OpContext, entity: Entity, roles: readonly string[]): ChangeOp {
  const summary = `revoke ${entityKey(entity)} from ${roles.map(quoteName).join(', ')}`;
  return {
    kind: 'revoke_app_roles',
    summary,
    wave: 'local',
    destroys: [],
    validate: () => [],
    render: () => [
      {
        target: CONTRACT,
        blocks: [
          inverse(renderIn(ctx, ctx.oldConfig, 'app_grants', { entity: entityContext(ctx.oldConfig, entity, ctx.hereBefore), roles })),
          inverse(
            ctx.render(
              ctx.oldConfig,
              functionGrantsBlock(ctx.oldConfig, ctx.hereBefore, entity, roles, ctx.newShapes[entityKey(entity)], true),
            ),
          ),
        ],
        change: summary,
      },
    ],
  };
}
