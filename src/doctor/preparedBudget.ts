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
   * The gate of each region that has one (regions.yaml
   * `pooler.writes_in_flight`, default 2 x pool_size): the writes it
   * coordinates at once at most, whatever its sessions.
   */
  readonly gates?: Readonly<Record<string, number>>;
  /** The write concurrency assumed for a region neither in `writers` nor gated (e.g. this region's own max_connections). */
  readonly assumed: number;
}

/** The prepared transactions a region must allow, and how the figure was reached. */
export interface PreparedBudget {
  /** The slots needed: the writes every region of the fleet (this one included) may have in flight at once. */
  readonly needed: number;
  /** Each region's share, e.g. `usa 60`, `gbr 8 (writes_in_flight)`. */
  readonly shares: readonly string[];
  /** The regions whose share was assumed, not read (and not bounded by a gate). */
  readonly assumed: readonly string[];
}

/**
 * The prepared-transaction budget of a region (docs/guides/sizing.md): every
 * write in flight holds one prepared part in every region it touches, its
 * coordinator's included, so a region needs a slot for each write the
 * fleet's regions may have in flight at once. A region with a gate
 * (`pooler.writes_in_flight`, residency.gate) has at most that many, however
 * many sessions write there; a region without one, as many as its sessions.
 * With a gate on every region the budget is the sum of the gates and does
 * not grow with the applications' sessions.
 * @example preparedBudget({ region: 'gbr', regions: ['usa', 'gbr', 'aus'], writers: { usa: 60 }, gates: { gbr: 8, aus: 8 }, assumed: 100 }).needed // 76
 */
export function preparedBudget(input: PreparedBudgetInput): PreparedBudget {
  const sessions = (r: string) => input.writers[r] ?? input.assumed;
  const gate = (r: string) => input.gates?.[r];
  const bounded = (r: string) => gate(r) !== undefined && gate(r)! <= sessions(r);
  const share = (r: string) => (bounded(r) ? gate(r)! : sessions(r));
  return {
    needed: input.regions.reduce((sum, r) => sum + share(r), 0),
    shares: input.regions.map((r) => (bounded(r) ? `${r} ${share(r)} (writes_in_flight)` : `${r} ${share(r)}`)),
    assumed: input.regions.filter((r) => input.writers[r] === undefined && !bounded(r)),
  };
}

/** Each gated region's bound on writes in flight (regions.yaml `pooler.writes_in_flight`), by name: {@link preparedBudget}'s `gates`. */
export function writeGates(config: Pick<Config, 'regions'>): Record<string, number> {
  return Object.fromEntries(config.regions.flatMap((r) => (r.pooler === undefined ? [] : [[r.name, r.pooler.writesInFlight]])));
}
