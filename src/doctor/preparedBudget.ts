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
  /** The slots needed: the writes every region of the fleet (this one included) may have in flight at once. */
  readonly needed: number;
  /** Each region's share, e.g. `usa 60`. */
  readonly shares: readonly string[];
  /** The regions whose share was assumed, not read. */
  readonly assumed: readonly string[];
}

/**
 * The prepared-transaction budget of a region (docs/guides/sizing.md): every
 * write in flight holds one prepared part in every region it touches, its
 * coordinator's included (since issue 20 the coordinator's own part is
 * prepared too, and its decision is a transaction of its own), so a region
 * needs a slot for each write the fleet's sessions may have in flight at
 * once. A link pooler no longer bounds them: every part gives its pooled
 * connection back at PREPARE TRANSACTION, the loopback's too, so a region's
 * writes in flight are bounded by its sessions only.
 * @example preparedBudget({ region: 'gbr', regions: ['usa', 'gbr', 'aus'], writers: { usa: 60 }, assumed: 100 }).needed // 260
 */
export function preparedBudget(input: PreparedBudgetInput): PreparedBudget {
  const share = (r: string) => input.writers[r] ?? input.assumed;
  return {
    needed: input.regions.reduce((sum, r) => sum + share(r), 0),
    shares: input.regions.map((r) => `${r} ${share(r)}`),
    assumed: input.regions.filter((r) => input.writers[r] === undefined),
  };
}
