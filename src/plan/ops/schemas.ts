import { CONTRACT, EXPAND, inverse, quoteName, renderIn, type ChangeOp, type OpContext } from './changeOp.js';

/**
 * CREATE SCHEMA for new entity schemas and region schemas (local wave,
 * expand); a new entity schema also gets the link role's USAGE.
 */
export function addSchemas(ctx: OpContext, schemas: readonly string[], entitySchemas: readonly string[]): ChangeOp {
  const summary = `add schema ${schemas.map(quoteName).join(', ')}`;
  return {
    kind: 'add_schemas',
    summary,
    wave: 'local',
    destroys: [],
    validate: () => [],
    render: () => [
      {
        target: EXPAND,
        blocks: [
          renderIn(ctx, ctx.newConfig, 'schemas', { schemas }),
          ...(entitySchemas.length > 0 ? [renderIn(ctx, ctx.newConfig, 'link_schemas', { schemas: entitySchemas })] : []),
        ],
        change: summary,
      },
    ],
  };
}

/** DROP SCHEMA for schemas no entity or region uses any more (local wave, the last block of contract). */
export function dropSchemas(ctx: OpContext, schemas: readonly string[]): ChangeOp {
  const summary = `drop schema ${schemas.map(quoteName).join(', ')}`;
  return {
    kind: 'drop_schemas',
    summary,
    wave: 'local',
    destroys: [],
    validate: () => [],
    render: () => [{ target: CONTRACT, blocks: [inverse(renderIn(ctx, ctx.oldConfig, 'schemas', { schemas }))], change: summary }],
  };
}

/** The schemas a state needs: each entity's, and one per region (`public` always exists). */
export function schemasOf(state: { entities: readonly { schema: string }[]; regions: readonly { name: string }[] }): string[] {
  return [...new Set([...state.entities.map((e) => e.schema), ...state.regions.map((r) => r.name)])].filter((x) => x !== 'public');
}
