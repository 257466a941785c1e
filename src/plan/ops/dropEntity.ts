import type { Entity } from '../../config/types.js';
import { markedSection } from '../../format/migrationSection.js';
import { entityKey } from '../apiShape.js';
import { entityContext } from '../entityContext.js';
import { applyBlock, codeBlock, codeId, foreignBlock } from '../planRegion.js';
import {
  CONTRACT,
  CONTRACT_REMOTE,
  inverse,
  ownFile,
  RANK,
  renderIn,
  type ChangeOp,
  type Contribution,
  type OpContext,
} from './changeOp.js';

/**
 * An entity regions.yaml no longer lists (destructive): its functions first
 * (a remote file, `drop_functions_<entity>`, before any other), then its
 * foreign tables (contract_remote), then its tables, types and apply
 * function (contract, the local wave after every remote one).
 */
export function dropEntity(ctx: OpContext, entity: Entity): ChangeOp {
  const key = entityKey(entity);
  const { oldConfig, hereBefore } = ctx;
  return {
    kind: 'drop_entity',
    summary: `drop entity ${key}`,
    wave: 'local',
    destroys: [`drop entity ${key} and every row of it in this region`],
    validate: () => [],
    render: () => {
      const parts: Contribution[] = [];
      const recorded = ctx.code[codeId(entity)];
      if (recorded !== undefined) {
        const oldFunctions = markedSection(ctx.readFile(recorded.file), codeId(entity)) ?? '';
        const drop = ctx.render(oldConfig, codeBlock(oldConfig, hereBefore, entity, ctx.shapes[key]));
        parts.push({
          target: ownFile(`drop_functions_${entity.name}`, RANK.dropFunctions, 'listed'),
          blocks: [{ up: drop.down, down: oldFunctions, template: 'functions' }],
          change: `drop the functions of ${key}`,
        });
      }
      parts.push({
        target: CONTRACT_REMOTE,
        blocks: ctx.othersBefore
          .filter((t) => ctx.keptOthers.some((k) => k.name === t.name))
          .map((t) => inverse(ctx.render(oldConfig, foreignBlock(oldConfig, hereBefore, t, entity)))),
        change: `drop the foreign tables of ${key}`,
      });
      const context = { entity: entityContext(oldConfig, entity, hereBefore, ctx.shapes[key]) };
      parts.push({
        target: CONTRACT,
        blocks: [
          ...(ctx.twoPhase ? [inverse(ctx.render(oldConfig, applyBlock(oldConfig, hereBefore, entity)))] : []),
          inverse(renderIn(ctx, oldConfig, 'entity_types', context)),
          inverse(renderIn(ctx, oldConfig, 'entity', context)),
        ],
        change: `drop entity ${key}`,
        destroys: `drop entity ${key} and every row of it in this region`,
      });
      return parts;
    },
  };
}
