import { CONTRACT, EXPAND, inverse, quoteName, renderIn, type ChangeOp, type OpContext } from './changeOp.js';

/**
 * App roles added to regions.yaml made members of the app group (local wave,
 * expand): one GRANT of membership per region, whatever the number of
 * entities; the group already holds every grant on the generated objects.
 */
export function grantAppRoles(ctx: OpContext, roles: readonly string[]): ChangeOp {
  const summary = `make ${roles.map(quoteName).join(', ')} members of the app group ${quoteName(ctx.newConfig.appGroup)}`;
  return {
    kind: 'grant_app_roles',
    summary,
    wave: 'local',
    destroys: [],
    validate: () => [],
    render: () => [
      {
        target: EXPAND,
        blocks: [renderIn(ctx, ctx.newConfig, 'app_members', { members: roles })],
        change: summary,
      },
    ],
  };
}

/** App roles regions.yaml no longer lists taken out of the app group (local wave, contract). */
export function revokeAppRoles(ctx: OpContext, roles: readonly string[]): ChangeOp {
  const summary = `take ${roles.map(quoteName).join(', ')} out of the app group ${quoteName(ctx.oldConfig.appGroup)}`;
  return {
    kind: 'revoke_app_roles',
    summary,
    wave: 'local',
    destroys: [],
    validate: () => [],
    render: () => [
      {
        target: CONTRACT,
        blocks: [inverse(renderIn(ctx, ctx.oldConfig, 'app_members', { members: roles }))],
        change: summary,
      },
    ],
  };
}
