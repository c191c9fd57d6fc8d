/**
 * Assertion IDs already exchanged, each kept until its assertion expires. Bounded: when full after
 * dropping expired entries, a new assertion is refused (fail closed) rather than an entry evicted early,
 * since evicting one would let that assertion be replayed.
 */
export class ReplayCache {
  private readonly seen = new Map<string, number>();

  /** `now` in milliseconds. */
  constructor(
    private readonly maxEntries = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records `key` until `expiresAtMs`; false when it is already recorded (a replay) or the cache is full. */
  claim(key: string, expiresAtMs: number): boolean {
    const now = this.now();
    const until = this.seen.get(key);
    if (until !== undefined && until > now) return false;
    if (this.seen.size >= this.maxEntries) this.purge(now);
    if (this.seen.size >= this.maxEntries) return false;
    this.seen.set(key, expiresAtMs);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }

  private purge(now: number): void {
    for (const [k, until] of this.seen) if (until <= now) this.seen.delete(k);
  }
}
