import { finding, type Finding } from './finding.js';

/** What one region stores about one key (keys, owner names and hashes only). */
export interface KeyInRegion {
  /** The owner its directory row names; undefined without a directory row. */
  readonly owner?: string;
  /** md5 of its directory row. */
  readonly hash?: string;
  /** Whether its local leaf holds the key's personal row. */
  readonly leaf: boolean;
  /** Whether its outbox queues a directory write of the key (sync will replay it). */
  readonly queued: boolean;
}

/** What repair does for a key, in this order; each step is idempotent. */
export type RepairAction =
  /** Copy the personal row from `from` into `to` (an interrupted rehome, completed into its recorded owner). */
  | { readonly kind: 'move-personal'; readonly from: string; readonly to: string }
  /** Delete the personal row in `region`, whose owner holds the key's personal row. */
  | { readonly kind: 'delete-personal'; readonly region: string }
  /** Write the directory row of region `from` into `to` (insert or update). */
  | { readonly kind: 'copy-directory'; readonly from: string; readonly to: string }
  /** Delete the directory row in `region` (an orphan: no personal row anywhere, nothing queued). */
  | { readonly kind: 'delete-directory'; readonly region: string };

export interface KeyVerdict {
  readonly findings: Finding[];
  readonly actions: RepairAction[];
}

/**
 * Decides, from what every region stores about a key, what is wrong and what
 * repair does. The owner's stored data is the truth:
 *
 * - one region holds the personal row and its own directory names it: it is
 *   the owner, and every directory row converges to the owner's;
 * - one region holds it but its directory names another region, whose own
 *   directory names itself: a rehome that copied nothing yet; it is completed
 *   (the row moves into its recorded owner, then leaves the old region);
 * - several regions hold it and exactly one of them names itself in its own
 *   directory: that one is the owner, the other copies go (a rehome that did
 *   not delete the old row, or a row written in the wrong region);
 * - no region holds it: the directory rows are orphans (an interrupted erase,
 *   or a create whose personal row never committed). Repair removes them,
 *   unless an outbox still queues the key (sync decides then). A personal
 *   row whose resident columns are all NULL is a row: it counts as held.
 * - anything else (no self-consistent owner, a region not read) is reported
 *   and left alone: repair never invents a personal row or picks an owner.
 */
export function classifyKey(
  label: string,
  key: string,
  regions: ReadonlyMap<string, KeyInRegion>,
  allRead: boolean,
  /** Gids of two-phase writes still prepared somewhere whose coordinator holds their commit record (decided). */
  decidedPrepared: readonly string[] = [],
): KeyVerdict {
  const findings: Finding[] = [];
  const actions: RepairAction[] = [];
  const object = `${label} ${key}`;
  const add = (f: Finding) => findings.push(f);
  const holders = [...regions].filter(([, s]) => s.leaf).map(([r]) => r);
  const withDirectory = [...regions].filter(([, s]) => s.owner !== undefined);
  const q = (names: readonly string[]) => names.map((n) => `"${n}"`).join(', ');
  const queued = [...regions.values()].some((s) => s.queued);

  let owner: string | undefined;
  if (holders.length === 0) {
    if (withDirectory.length === 0) return { findings, actions };
    const where = withDirectory.map(([r]) => r);
    const named = [...new Set(withDirectory.map(([, s]) => s.owner!))];
    if (decidedPrepared.length > 0) {
      // a decided write's parts are invisible until committed: its directory rows only look orphaned
      for (const region of named.filter((n) => regions.has(n))) {
        add(
          finding(
            'RV109',
            region,
            object,
            `the directory in ${q(where)} names "${region}" as owner and no region shows the personal row yet, while ${decidedPrepared.length} decided two-phase write(s) are still prepared (${decidedPrepared.slice(0, 2).join(', ')}${decidedPrepared.length > 2 ? ', ...' : ''}): not an orphan until they are finished`,
            'run `pg-residency resolve --all` (it commits the decided writes), then `pg-residency verify --all` again; repair leaves these rows alone meanwhile',
            key,
          ),
        );
      }
      return { findings, actions };
    }
    for (const region of named.filter((n) => regions.has(n))) {
      add(
        finding(
          'RV105',
          region,
          object,
          `the directory in ${q(where)} names "${region}" as owner, but no region holds the personal row (an interrupted erase, or a create whose personal row never committed)`,
          queued
            ? 'an outbox still queues the key: run `pg-residency sync --all`, then verify again'
            : '`pg-residency repair` removes the orphaned directory rows; if the personal data was lost, restore it from a backup of the owner first',
          key,
        ),
      );
    }
    if (!queued && allRead) for (const region of where) actions.push({ kind: 'delete-directory', region });
    return { findings, actions };
  }

  if (withDirectory.length === 0) {
    for (const region of holders) {
      add(
        finding(
          'RV107',
          region,
          object,
          `a personal row in "${region}" with no directory row in any region`,
          `erase it by hand (DELETE FROM "${region}".<entity>_details) or upsert the key again with its data; repair does not guess its directory row`,
          key,
        ),
      );
    }
    return { findings, actions };
  }

  const selfOwned = holders.filter((h) => regions.get(h)!.owner === h);
  if (selfOwned.length === 1) {
    owner = selfOwned[0]!;
    for (const other of holders.filter((h) => h !== owner)) {
      add(
        finding(
          'RV104',
          other,
          object,
          `a personal row in "${other}", whose directory names "${regions.get(other)!.owner ?? '(none)'}"; the owner "${owner}" holds it too: a residency violation`,
          `\`pg-residency repair\` deletes the copy in "${other}" (the owner's row is kept)`,
          key,
        ),
      );
      actions.push({ kind: 'delete-personal', region: other });
    }
  } else if (holders.length === 1) {
    const holder = holders[0]!;
    // the holder's own directory row, or, when the holder lost it, the owner every other directory row agrees on
    const others = [...new Set(withDirectory.map(([, s]) => s.owner!))];
    const named = regions.get(holder)!.owner ?? (others.length === 1 ? others[0] : undefined);
    if (named === holder && regions.get(holder)!.owner === undefined && allRead) {
      // every directory names the holder, which lost its own row: it is the owner; its row is copied back below
      owner = holder;
    }
    const recorded = named !== undefined && regions.get(named)?.owner === named ? named : undefined;
    if (owner !== undefined) {
      // owner found above (the holder, named by every directory)
    } else if (recorded !== undefined && allRead) {
      owner = recorded;
      add(
        finding(
          'RV106',
          holder,
          object,
          `the personal row is stored only in "${holder}", while the directory of "${holder}" and of "${recorded}" names "${recorded}": an interrupted rehome`,
          `\`pg-residency repair\` completes it: the row is copied into "${recorded}", then deleted in "${holder}"`,
          key,
        ),
      );
      actions.push({ kind: 'move-personal', from: holder, to: recorded });
    } else {
      add(
        finding(
          'RV106',
          holder,
          object,
          `the personal row is stored only in "${holder}", whose directory names ${regions.get(holder)!.owner === undefined ? 'no owner (it has no directory row)' : `"${named}"`}, and no region's own directory confirms an owner`,
          regions.get(holder)!.owner === undefined
            ? `"${holder}" has no directory row, so rehome_<entity> cannot run there: decide the owner, call upsert_<entity>(key, ..., owner) from "${holder}" with the row's values (it writes every directory row and the personal row in the owner), then run \`pg-residency repair\` (it deletes the copy left in "${holder}")`
            : `decide the owner and call rehome_<entity>(key, owner) from "${holder}"; repair does not pick an owner`,
          key,
        ),
      );
    }
  } else {
    add(
      finding(
        'RV106',
        holders[0]!,
        object,
        `personal rows in ${q(holders)}, and ${selfOwned.length === 0 ? 'none of them' : q(selfOwned)} named as owner by its own directory`,
        'keep the row of the true owner, delete the others by hand, then run `pg-residency repair`; repair does not pick an owner',
        key,
      ),
    );
  }
  if (owner === undefined) return { findings, actions };

  // directory rows converge to the owner's (or, without one, to a row that names the owner)
  const truth = regions.get(owner)!.hash !== undefined ? owner : withDirectory.find(([, s]) => s.owner === owner)?.[0];
  if (truth === undefined) return { findings, actions };
  const hash = regions.get(truth)!.hash;
  const fixOf = (r: string) =>
    queued
      ? `an outbox queues the key: \`pg-residency sync --all\` replays it; \`pg-residency repair\` copies the row of "${truth}" to "${r}"`
      : `\`pg-residency repair\` copies the directory row of "${truth}" to "${r}"`;
  for (const [region, s] of regions) {
    if (region === truth) continue;
    if (s.owner === undefined) {
      add(finding('RV101', region, object, `no directory row in "${region}"; "${truth}" has one naming "${owner}"`, fixOf(region), key));
      actions.push({ kind: 'copy-directory', from: truth, to: region });
    } else if (s.hash !== hash) {
      add(
        finding(
          'RV102',
          region,
          object,
          `the directory row in "${region}" (owner "${s.owner}") differs from the one in "${truth}" (owner "${owner}")`,
          fixOf(region),
          key,
        ),
      );
      actions.push({ kind: 'copy-directory', from: truth, to: region });
    }
  }
  // a move comes first, then directories, then deleting copies: a personal row is never in no region
  const order: Record<RepairAction['kind'], number> = {
    'move-personal': 0,
    'copy-directory': 1,
    'delete-personal': 2,
    'delete-directory': 3,
  };
  actions.sort((a, b) => order[a.kind] - order[b.kind]);
  return { findings, actions };
}
