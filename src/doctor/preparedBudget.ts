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
  /** The write concurrency assumed for a region not in `writers` (e.g. this region's own max_connections). */
  readonly assumed: number;
}

/** The prepared transactions a region must allow, and how the figure was reached. */
export interface PreparedBudget {
  /** The slots needed: the writes every other region may have in flight at once. */
  readonly needed: number;
  /** Each other region's share, e.g. `usa 60`. */
  readonly shares: readonly string[];
  /** The other regions whose share was assumed, not known. */
  readonly assumed: readonly string[];
}

/**
 * The prepared-transaction budget of a region (docs/guides/sizing.md): every
 * write in flight holds one prepared part in every region it touches but its
 * coordinator's (whose part commits as the decision), so a region needs a
 * slot for each write the other regions' sessions may have in flight at
 * once. A link pooler does not bound it: a prepared part ends its
 * transaction and gives its pooled connection back before its COMMIT
 * PREPARED arrives.
 * @example preparedBudget({ region: 'gbr', regions: ['usa', 'gbr', 'aus'], writers: { usa: 60 }, assumed: 100 }).needed // 160
 */
export function preparedBudget(input: PreparedBudgetInput): PreparedBudget {
  const others = input.regions.filter((r) => r !== input.region);
  const share = (r: string) => input.writers[r] ?? input.assumed;
  return {
    needed: others.reduce((sum, r) => sum + share(r), 0),
    shares: others.map((r) => `${r} ${share(r)}`),
    assumed: others.filter((r) => input.writers[r] === undefined),
  };
}
