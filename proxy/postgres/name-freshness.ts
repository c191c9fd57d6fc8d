/**
 * Which portal and cursor names the proxy may read as the objects it decided without asking the server.
 * Code the proxy cannot see — a view's function, a trigger, a DEFAULT, a CHECK, an operator — runs inside
 * any statement, and in parse analysis of one (name-reach.ts), and can close a portal or cursor and open
 * another under its name. A name stays fresh only while nothing but its own reads has run since it was
 * created, read, or confirmed by the server (server-cursor-check.ts): PostgreSQL refuses to drop a portal
 * while it runs, so its own read cannot replace it, unless the statement runs code after the read
 * (`replacedAfterRead`). This does not depend on the parser seeing the code.
 */

/** What one statement does to names: those it reads (FETCH, an Execute's portal) and those it creates. */
export interface NameUse {
  reads: readonly string[];
  creates: readonly string[];
  /** Names among `reads` that code run by the statement after it read them may have replaced: left stale. */
  replacedAfterRead?: readonly string[];
}

/** Past this many names remembered, all are forgotten: a forgotten name is stale, which costs a check only. */
const MAX_NAMES = 4096;

export class NameFreshness {
  /** Statements forwarded so far (any may have run code that replaced a name). */
  private runs = 0;
  /** For each name, `runs` when it was last known to be what the proxy decided. */
  private readonly knownAt = new Map<string, number>();

  /** A statement was forwarded: the names it reads or creates stay fresh, every other one goes stale. */
  ran(use: NameUse = NO_NAMES): void {
    this.runs++;
    for (const n of use.reads) if (!use.replacedAfterRead?.includes(n)) this.mark(n);
    for (const n of use.creates) this.mark(n);
  }

  /** The proxy no longer knows what the server holds under `name` (a create of it failed or was skipped). */
  unknown(name: string): void {
    this.knownAt.delete(name);
  }

  /**
   * The proxy knows what the server holds under `name` now: a message that runs no code made it (a Bind
   * without parameters of a cursor statement that converts no literal), or the server confirmed it.
   */
  known(name: string): void {
    this.mark(name);
  }

  /**
   * For statements forwarded together (one Query), in order: the names each reads that would be stale
   * when it runs. Changes nothing.
   */
  staleReads(uses: readonly NameUse[]): string[][] {
    let runs = this.runs;
    let local: Map<string, number> | undefined;
    return uses.map((u, i) => {
      let stale = NONE;
      for (const n of u.reads) {
        const at = local?.has(n) ? local.get(n) : this.knownAt.get(n);
        if (at !== runs) stale = stale === NONE ? [n] : [...stale, n];
      }
      runs++;
      // Only statements after this one see what it read or made: a lone statement needs no map.
      if (i < uses.length - 1 && (u.reads.length || u.creates.length)) {
        local ??= new Map();
        for (const n of u.reads) if (!u.replacedAfterRead?.includes(n)) local.set(n, runs);
        for (const n of u.creates) local.set(n, runs);
      }
      return stale;
    });
  }

  private mark(name: string): void {
    if (this.knownAt.size >= MAX_NAMES && !this.knownAt.has(name)) this.knownAt.clear();
    this.knownAt.set(name, this.runs);
  }
}

const NONE: string[] = [];
/** A statement that reads and creates no names (most of them). */
export const NO_NAMES: NameUse = Object.freeze({ reads: Object.freeze([]), creates: Object.freeze([]) });
