/**
 * When the server made each portal and cursor the proxy follows (pg_cursors.creation_time), recorded while
 * its name is still fresh (name-freshness.ts), before anything else runs. Code that closes a name and opens
 * it again from the very text that made it — under its own search_path or role, where that text reads
 * something else — passes the text's digest, but not its creation time. A name that went stale before it
 * was recorded (another statement in the same Query or pipeline) cannot be told from such a reopening: its
 * reads are refused. The unnamed portal needs no record: server code can close it but cannot open one of
 * that name.
 */
export class NameBaselines {
  private readonly createdAt = new WeakMap<object, string>();
  /** Names made and still fresh, not yet recorded. */
  private readonly unrecorded = new Set<string>();

  /** Names a forwarded statement made. */
  made(names: readonly string[]): void {
    for (const n of names) if (n !== '') this.unrecorded.add(n);
  }

  /** A statement that does not touch them was forwarded: unrecorded names can no longer be recorded. */
  ran(touches: (name: string) => boolean): void {
    for (const n of this.unrecorded) if (!touches(n)) this.unrecorded.delete(n);
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
  }

  /** The recorded creation time of `object` (undefined: not recorded). */
  of(object: object): string | undefined {
    return this.createdAt.get(object);
  }
}
