/**
 * When the server made each portal and cursor the proxy follows (pg_cursors.creation_time), recorded at the
 * first batch boundary after the batch that made it, before anything else runs. Code that closes a name and
 * opens it again from the very text that made it — under its own search_path or role, where that text reads
 * something else — passes the text's digest, but not its creation time, once it runs in a later batch.
 * PostgreSQL stamps a portal with its message's start time, so a reopening by code of the same Query (a later
 * statement, the commit that ends it) or of the same pipeline cannot be told apart: a known limit.
 */
export class NameBaselines {
  private readonly createdAt = new WeakMap<object, string>();
  /** Names made and not yet recorded. */
  private readonly unrecorded = new Set<string>();
  /** Names whose recording was due and did not happen (the check failed): never accepted on their text alone. */
  private readonly lost = new Set<string>();

  /** Names a forwarded statement made. */
  made(names: readonly string[]): void {
    for (const n of names) {
      if (n === '') continue;
      this.unrecorded.add(n);
      this.lost.delete(n);
    }
  }

  /** A recording of `names` was due and did not happen before other code could run. */
  lose(names: readonly string[]): void {
    for (const n of names) {
      if (!this.unrecorded.delete(n)) continue;
      this.lost.add(n);
    }
  }

  /** Whether `name`'s recording was missed: its object cannot be told from the same text opened again. */
  isLost(name: string): boolean {
    return this.lost.has(name);
  }

  /** The unrecorded names a statement that touches only `touches` would leave unrecordable. */
  due(touches: (name: string) => boolean): string[] {
    const due: string[] = [];
    for (const n of this.unrecorded) if (!touches(n)) due.push(n);
    return due;
  }

  record(name: string, object: object, createdAt: string): void {
    this.createdAt.set(object, createdAt);
    this.unrecorded.delete(name);
  }

  forget(name: string): void {
    this.unrecorded.delete(name);
    this.lost.delete(name);
  }

  /** The recorded creation time of `object` (undefined: not recorded). */
  of(object: object): string | undefined {
    return this.createdAt.get(object);
  }
}
