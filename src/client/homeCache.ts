/**
 * The home region of keys the client has seen (written, read, rehomed), so a
 * later call by key alone runs where the row lives. Bounded: the oldest entry
 * goes first. A miss only means the call runs in the default region.
 */
export class HomeCache {
  readonly #homes = new Map<string, string>();

  constructor(readonly capacity: number) {}

  get(entity: string, key: unknown): string | undefined {
    return this.#homes.get(cacheKey(entity, key));
  }

  set(entity: string, key: unknown, region: string): void {
    const k = cacheKey(entity, key);
    this.#homes.delete(k);
    this.#homes.set(k, region);
    if (this.#homes.size > this.capacity) this.#homes.delete(this.#homes.keys().next().value!);
  }

  delete(entity: string, key: unknown): void {
    this.#homes.delete(cacheKey(entity, key));
  }
}

function cacheKey(entity: string, key: unknown): string {
  return `${entity}\u0000${key instanceof Date ? key.toISOString() : String(key)}`;
}
