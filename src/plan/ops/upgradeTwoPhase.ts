import type { Entity } from '../../config/types.js';
import { entityContext } from '../entityContext.js';
import { applyBlock, runtimeBlock } from '../planRegion.js';
import { CONTRACT_REMOTE, EXPAND, renderIn, type ChangeOp, type Contribution, type CreatedCode, type OpContext } from './changeOp.js';

/**
 * A history generated before writes went through dblink two-phase commit
 * (state.json without `writes: "two_phase"`): dblink, the loopback server, the
 * commit records and the resolver first in expand, each kept entity's apply
 * function after the new entities', and the foreign directory and write
 * tables the old functions used dropped in contract_remote, once the
 * functions no longer use them.
 */
export function upgradeTwoPhase(ctx: OpContext, keptEntities: readonly Entity[]): ChangeOp {
  return {
    kind: 'upgrade_two_phase',
    summary: 'two-phase writes through dblink',
    wave: 'local',
    destroys: [],
    validate: () => [],
    render: () => {
      const created: CreatedCode[] = [];
      const marked = (block: ReturnType<typeof runtimeBlock>) => {
        const rendered = ctx.render(ctx.newConfig, block);
        if (block.marker !== undefined) created.push({ id: block.marker, sha256: ctx.codeHash([rendered]) });
        return rendered;
      };
      const runtime = [
        marked(runtimeBlock(ctx.newConfig, ctx.here, 'two_phase', 'state')),
        marked(runtimeBlock(ctx.newConfig, ctx.here, 'two_phase', 'code')),
      ];
      const runtimeCreates = created.splice(0);
      const applies = keptEntities.map((entity) => marked(applyBlock(ctx.newConfig, ctx.here, entity)));
      const retired = ctx.keptOthers.flatMap((t) =>
        ctx.oldConfig.entities.map((e) =>
          renderIn(ctx, ctx.oldConfig, 'foreign_tables_retired', { target: t, entity: entityContext(ctx.oldConfig, e, ctx.hereBefore) }),
        ),
      );
      const parts: Contribution[] = [
        {
          target: EXPAND,
          rank: -1,
          blocks: runtime,
          change: 'two-phase writes through dblink: the dblink schema, the loopback server, commit records, the resolver',
          creates: runtimeCreates,
        },
        { target: EXPAND, blocks: applies, creates: created },
      ];
      if (retired.length > 0)
        parts.push({
          target: CONTRACT_REMOTE,
          blocks: retired,
          change: 'drop the foreign directory and write tables that writes used before dblink',
        });
      return parts;
    },
  };
}
