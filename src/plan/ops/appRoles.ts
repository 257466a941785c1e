import type { Entity } from '../../config/types.js';
import { entityKey } from '../apiShape.js';
import { entityContext } from '../entityContext.js';
import { CONTRACT, EXPAND, inverse, quoteName, renderIn, type ChangeOp, type OpContext } from './changeOp.js';

/** USAGE on an entity's schema and SELECT on its tables for new app_roles (local wave, expand). */
export function grantAppRoles(ctx: OpContext, entity: Entity, roles: readonly string[]): ChangeOp {
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
        blocks: [renderIn(ctx, ctx.newConfig, 'app_grants', { entity: entityContext(ctx.newConfig, entity, ctx.here), roles })],
        change: summary,
      },
    ],
  };
}

/** The grants of app_roles regions.yaml no longer lists, revoked (local wave, contract). */
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
        ],
        change: summary,
      },
    ],
  };
}
