import type { Phase } from '../format/migrationFile.js';
import type { ChangeOp, Contribution, CreatedCode, StepBlock } from './ops/changeOp.js';

/** One file of a step. */
export interface StepFile {
  readonly slug: string;
  readonly phase: Phase;
  /**
   * Takes the registry lock before any DDL, in both directions (a prelude,
   * after the timeouts): `listed` names registry_lock among the header's
   * sources, `unlisted` does not (an entity's replaced functions, whose
   * header has always named only functions.sql.hbs).
   */
  readonly lock: 'listed' | 'unlisted' | 'none';
  /** Up runs them in order, down in the reverse order. */
  readonly blocks: readonly StepBlock[];
  /** What the file changes, for its header. */
  readonly changes: readonly string[];
  /** What it destroys; non-empty only with allowDestructive. */
  readonly destructive: readonly string[];
  /** The code objects (`functions schema.name`, `runtime two_phase`, ...) this file creates, each with its hash. */
  readonly creates: readonly CreatedCode[];
  /** Rolls out to every region in one run: a change in it says so (Contribution.together). */
  readonly together: boolean;
}

interface Bucket {
  slug: string;
  phase: Phase;
  lock: StepFile['lock'];
  /** Order among files of their own. */
  rank: number;
  parts: { contribution: Contribution; order: number }[];
}

const STRENGTH = { none: 0, unlisted: 1, listed: 2 } as const;

/**
 * The files of a step from its changes, in the order they run: `expand` (the
 * local wave: owners' tables), the files of their own in the order of their
 * rank (the remote wave: servers, foreign tables, code), `contract_remote`
 * (what reads other regions, dropped once nothing uses it), then `contract`
 * (the local wave: owners' tables, dropped last). `migrate up --all` runs
 * each wave in every region before the next, so no query ever meets a foreign
 * table whose owner lacks a column. Within a file, contributions keep the
 * order of their rank, then of the changes. The shared local files take the
 * registry lock: a call holds it before it reads an entity table, and its own
 * region's part runs in another session (the loopback), so a step that alters
 * those tables takes the registry first and never waits on a call whose part
 * waits on it (a cycle no deadlock detector sees).
 */
export function assembleStep(ops: readonly ChangeOp[]): StepFile[] {
  const shared = {
    expand: { slug: 'expand', phase: 'local', lock: 'listed', rank: -1, parts: [] } as Bucket,
    contract_remote: { slug: 'contract_remote', phase: 'remote', lock: 'none', rank: Infinity, parts: [] } as Bucket,
    contract: { slug: 'contract', phase: 'local', lock: 'listed', rank: Infinity, parts: [] } as Bucket,
  };
  const own = new Map<string, Bucket>();
  let order = 0;
  for (const op of ops) {
    for (const contribution of op.render()) {
      const { target } = contribution;
      let bucket: Bucket;
      if (target.file !== 'own') bucket = shared[target.file];
      else {
        const known = own.get(target.slug);
        bucket = known ?? { slug: target.slug, phase: 'remote', lock: target.lock, rank: target.rank, parts: [] };
        if (known === undefined) own.set(target.slug, bucket);
        if (STRENGTH[target.lock] > STRENGTH[bucket.lock]) bucket.lock = target.lock;
      }
      bucket.parts.push({ contribution, order: order++ });
    }
  }
  const ownFiles = [...own.values()].sort((a, b) => a.rank - b.rank || a.parts[0]!.order - b.parts[0]!.order);
  return [shared.expand, ...ownFiles, shared.contract_remote, shared.contract].flatMap((bucket): StepFile[] => {
    const parts = [...bucket.parts]
      .sort((a, b) => (a.contribution.rank ?? 0) - (b.contribution.rank ?? 0) || a.order - b.order)
      .map((p) => p.contribution);
    const blocks = parts.flatMap((p) => p.blocks);
    if (blocks.length === 0) return [];
    return [
      {
        slug: bucket.slug,
        phase: bucket.phase,
        lock: bucket.lock,
        blocks,
        changes: parts.flatMap((p) => (p.change === undefined ? [] : [p.change])),
        destructive: parts.flatMap((p) => (p.destroys === undefined ? [] : [p.destroys])),
        creates: parts.flatMap((p) => p.creates ?? []),
        together: parts.some((p) => p.together === true),
      },
    ];
  });
}
