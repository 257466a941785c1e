/**
 * The hash of a set of rows, order-free: `count:sum`, the sum of the first 60
 * bits of each row's md5 (its first 15 hex digits, as a number). The source
 * side (this process) and the regions (PostgreSQL, {@link setHashSql})
 * compute the same text, so a range or a bucket is compared without sorting
 * its rows and without concatenating their hashes. Each row's md5 covers its
 * key, so rows cannot trade values unseen; the sum misses a change only when
 * the 60-bit parts of the changed rows' hashes cancel out.
 */

/**
 * The part of a row's md5 (32 hex digits) a set hash sums, as two numbers:
 * its first 7 hex digits (28 bits) and the next 8 (32 bits). Plain numbers,
 * not a BigInt per row: a million of these a second.
 */
export interface RowValue {
  readonly hi: number;
  readonly lo: number;
}

export function rowValue(md5hex: string): RowValue {
  return { hi: parseInt(md5hex.slice(0, 7), 16), lo: parseInt(md5hex.slice(7, 15), 16) };
}

/** The number a {@link RowValue} stands for (below 2^60). */
export const rowValueBig = (v: RowValue): bigint => (BigInt(v.hi) << 32n) + BigInt(v.lo);

/** Rows summed in plain numbers before the sums move into the BigInt (2^20 × 2^32 stays below 2^53). */
const FLUSH = 2 ** 20;

/** An order-free hash of rows, built one row at a time. Pure. */
export class SetHash {
  private n = 0;
  private hi = 0;
  private lo = 0;
  private pending = 0;
  private sum = 0n;

  /** Adds one row, by the value {@link rowValue} took from its md5. */
  add(value: RowValue): void {
    this.n++;
    this.hi += value.hi;
    this.lo += value.lo;
    if (++this.pending === FLUSH) this.flush();
  }

  /** `count:sum`, `0:0` for no row: what {@link setHashSql} yields for the same rows. */
  toString(): string {
    this.flush();
    return `${this.n}:${this.sum}`;
  }

  private flush(): void {
    this.sum += (BigInt(this.hi) << 32n) + BigInt(this.lo);
    this.hi = 0;
    this.lo = 0;
    this.pending = 0;
  }
}

/** The SQL aggregate of {@link SetHash} over the rows of a query, `rowMd5` each row's md5 (hex). */
export function setHashSql(rowMd5: string): string {
  return `count(*) || ':' || coalesce(sum(('x' || substr(${rowMd5}, 1, 15))::bit(60)::bigint), 0)`;
}
