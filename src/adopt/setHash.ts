/**
 * The hash of a set of rows, order-free: `count:sum`, the sum of the first 60
 * bits of each row's md5 (its first 15 hex digits, as a number). The source
 * side (this process) and the regions (PostgreSQL, {@link setHashSql})
 * compute the same text, so a range or a bucket is compared without sorting
 * its rows and without concatenating their hashes. Each row's md5 covers its
 * key, so rows cannot trade values unseen; the sum misses a change only when
 * the 60-bit parts of the changed rows' hashes cancel out.
 */

/** The part of a row's md5 (32 hex digits) a set hash sums. */
export function rowValue(md5hex: string): bigint {
  return BigInt(`0x${md5hex.slice(0, 15)}`);
}

/** An order-free hash of rows, built one row at a time. Pure. */
export class SetHash {
  private n = 0;
  private sum = 0n;

  /** Adds one row, by the value {@link rowValue} took from its md5. */
  add(value: bigint): void {
    this.n++;
    this.sum += value;
  }

  /** `count:sum`, `0:0` for no row: what {@link setHashSql} yields for the same rows. */
  toString(): string {
    return `${this.n}:${this.sum}`;
  }
}

/** The SQL aggregate of {@link SetHash} over the rows of a query, `rowMd5` each row's md5 (hex). */
export function setHashSql(rowMd5: string): string {
  return `count(*) || ':' || coalesce(sum(('x' || substr(${rowMd5}, 1, 15))::bit(60)::bigint), 0)`;
}
