/** One timed call (or batch of calls) of an operation. */
export type Work = () => Promise<unknown>;

/** What the cost model of POSTGRES-FACTS.md predicts for an operation. */
export interface ModelEstimate {
  readonly roundTrips: number;
  /** How the number follows from the model, in a few words. */
  readonly basis: string;
}

/** An operation to measure on the fleet: what it is, how often, and compared with what. */
export interface Operation {
  /** Stable key, used by other operations' `baseline`. */
  readonly id: string;
  /** The heading it is listed under. */
  readonly section: string;
  readonly label: string;
  /** The region whose server the benchmark client calls. */
  readonly from: string;
  readonly warmup: number;
  readonly runs: number;
  /** The id of the operation this one's time is divided by. */
  readonly baseline?: string;
  readonly model?: ModelEstimate;
  /**
   * Time and round trips are multiplied by `factor`: for a sample of calls
   * that stands for a larger workload, which would take too long to run whole.
   */
  readonly scale?: { readonly factor: number; readonly note: string };
  /** Untimed: creates what each of `count` iterations needs and returns their work, warm-up first. */
  prepare(count: number): Work[] | Promise<Work[]>;
}
