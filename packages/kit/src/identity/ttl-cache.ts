/** A bounded per-process cache of loads, with a fixed time to live; concurrent misses share one load. */
export class TtlCache<V> {
  private readonly entries = new Map<string, { expiresAt: number; value: Promise<V> }>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
    // Bounded because keys come from callers: a flood of made-up key ids must not grow memory forever.
    private readonly maxEntries = 10_000,
  ) {}

  /** The cached value of `key`, or the result of `load` (cached unless it rejects). */
  get(key: string, load: () => Promise<V>): Promise<V> {
    const time = this.now();
    const hit = this.entries.get(key);
    if (hit && hit.expiresAt > time) return hit.value;
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) this.evictOne();
    const value = load();
    const entry = { expiresAt: time + this.ttlMs, value };
    this.entries.set(key, entry);
    // A failed load (database down) must be retried by the next caller, not remembered.
    value.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    return value;
  }

  /** Forgets `key`, so this process sees a change it made itself at once. */
  delete(key: string): void {
    this.entries.delete(key);
  }

  private evictOne(): void {
    // Maps iterate in insertion order, so the first entry is the oldest.
    const oldest = this.entries.keys().next();
    if (!oldest.done) this.entries.delete(oldest.value);
  }
}
