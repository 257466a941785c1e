import type { Config } from '../config/types.js';

/** What {@link preparedBudget} reads. */
export interface PreparedBudgetInput {
  /** The region whose max_prepared_transactions is checked. */
  readonly region: string;
  /** Every region of the fleet (regions.yaml order). */
  readonly regions: readonly string[];
  /**
   * Each region's write concurrency, where known: how many writes its
   * sessions may have in flight at once (its max_connections, or the size of
   * the application's pool in front of it).
   */
  readonly writers: Readonly<Record<string, number>>;
  /**
   * The pool_size of each region whose links go through a link pooler
   * (regions.yaml `pooler:`): it bounds that region's writes in flight.
   */
  readonly pools?: Readonly<Record<string, number>>;
  /** The write concurrency assumed for a region not in `writers` (e.g. this region's own max_connections). */
  readonly assumed: number;
}

/** The prepared transactions a region must allow, and how the figure was reached. */
export interface PreparedBudget {
  /** The slots needed: the writes every other region may have in flight at once. */
  readonly needed: number;
  /** Each other region's share, e.g. `usa 60`, `usa 8 (2 x pool_size 4)`. */
  readonly shares: readonly string[];
  /** The other regions whose share was assumed, not known (neither read nor bounded by a pooler). */
  readonly assumed: readonly string[];
}

/**
 * The prepared-transaction budget of a region (docs/guides/sizing.md): every
 * write in flight holds one prepared part in every region it touches but its
 * coordinator's (whose part commits as the decision), so a region needs a
 * slot for each write the other regions' sessions may have in flight at
 * once. A region whose links go through a link pooler has at most twice its
 * pool_size of them: a write holds its loopback's pooled connection until its
 * decision (pool_size writes), and after it a prepared part waits for its
 * COMMIT PREPARED to get one of the pool's connections to this region (as
 * many again); never more than its sessions.
 * @example preparedBudget({ region: 'gbr', regions: ['usa', 'gbr', 'aus'], writers: { usa: 60 }, pools: { aus: 8 }, assumed: 100 }).needed // 76
 */
export function preparedBudget(input: PreparedBudgetInput): PreparedBudget {
  const others = input.regions.filter((r) => r !== input.region);
  const sessions = (r: string) => input.writers[r] ?? input.assumed;
  const pool = (r: string) => input.pools?.[r];
  const share = (r: string) => {
    const p = pool(r);
    return p === undefined ? sessions(r) : Math.min(2 * p, sessions(r));
  };
  return {
    needed: others.reduce((sum, r) => sum + share(r), 0),
    shares: others.map((r) => {
      const p = pool(r);
      return p !== undefined && 2 * p <= sessions(r) ? `${r} ${share(r)} (2 x pool_size ${p})` : `${r} ${share(r)}`;
    }),
    // (a pool larger than the sessions assumed leaves the assumption)
    assumed: others.filter((r) => input.writers[r] === undefined && (pool(r) === undefined || 2 * pool(r)! > input.assumed)),
  };
}

/** The pool_size of each region with a link pooler (regions.yaml `pooler:`), by name: {@link preparedBudget}'s `pools`. */
export function linkPoolSizes(config: Pick<Config, 'regions'>): Record<string, number> {
  return Object.fromEntries(config.regions.flatMap((r) => (r.pooler === undefined ? [] : [[r.name, r.pooler.poolSize]])));
}
