/**
 * What a message reads through portal and cursor names, and which messages may run code that replaces
 * them, from PostgreSQL's point of view (name-freshness.ts is the backstop these feed):
 * - parse analysis may run code (proxy/sql/analysis-code.ts), at a Parse, and again at a Describe or Bind of a
 *   statement whose plan was invalidated;
 * - a Describe looks up the target list of what it reads (FetchStatementTargetList): `EXECUTE p` re-analyses
 *   p, and a FETCH does so for the portal it reads, down to an `EXECUTE`; so does the RowDescription of a
 *   FETCH sent in a Query, after the read;
 * - executing a FETCH of a portal of a FETCH runs that one too, down the chain.
 */
import type { Classification } from '../sql/types.js';
import type { NameFreshness, NameUse } from './name-freshness.js';
import type { Prepared, ServerObjects } from './server-objects.js';
import { nameUse } from './sql-cursors.js';

/** How deep a chain of EXECUTEs and FETCHes is followed before it counts as running code. */
const MAX_DEPTH = 8;

export class NameReach {
  constructor(
    private readonly objects: Pick<ServerObjects, 'statement' | 'portal' | 'cursor'>,
    private readonly freshness: Pick<NameFreshness, 'staleReads'>,
  ) {}

  /**
   * A Describe of this statement, or of a portal of it, may run code: `EXECUTE p` re-analyses p if p's plan
   * was invalidated, so code may run when p's analysis may, or p is unknown, or p reaches further; a FETCH
   * does the same for the portal it reads. A fresh SQL cursor the agent declared, or a fresh portal of a
   * statement that reaches nothing, is a planned query: its target list runs nothing.
   */
  describeRunsCode(stmt: Prepared, depth = 0): boolean {
    if (depth > MAX_DEPTH) return true;
    for (const name of stmt.executes?.keys() ?? []) {
      const p = this.objects.statement(name);
      if (!p || p.classes.some(analysisRunsCode) || this.describeRunsCode(p, depth + 1)) return true;
    }
    for (const c of stmt.classes) {
      if (c.cursor?.op !== 'fetch') continue;
      const name = c.cursor.name ?? '';
      if (!this.fresh(name)) return true;
      if (this.objects.cursor(name)) continue;
      const portal = this.objects.portal(name);
      if (!portal || this.describeRunsCode(portal.stmt, depth + 1)) return true;
    }
    return false;
  }

  /**
   * The names a statement reads and creates (sql-cursors.ts nameUse), with the cursors a FETCH reads
   * through a portal of a FETCH. A FETCH in a Query (no `portal`) has PostgreSQL build its RowDescription
   * after the read, from the target list of what it read: when that may run code, what it read is left stale.
   */
  statementUse(c: Classification, portal?: string): NameUse {
    const use = nameUse(c, portal);
    if (c.cursor?.op !== 'fetch') return use;
    const reads = this.throughFetches(use.reads);
    const target = this.objects.portal(c.cursor.name ?? '');
    if (portal !== undefined || !target || !this.describeRunsCode(target.stmt)) return { ...use, reads };
    return { ...use, reads, replacedAfterRead: reads };
  }

  /** `names` and the cursors that FETCHes of those that are portals read, down the chain (PostgreSQL runs them). */
  throughFetches(names: readonly string[]): string[] {
    const all = new Set(names);
    // Each name once (a Set visits what is added while it is iterated), so a cycle ends too.
    for (const n of all) {
      for (const c of this.objects.portal(n)?.stmt.classes ?? [])
        if (c.cursor?.op === 'fetch') all.add(c.cursor.name ?? '');
    }
    return [...all];
  }

  private fresh(name: string): boolean {
    return this.freshness.staleReads([{ reads: [name], creates: [] }])[0]!.length === 0;
  }
}

/** Parse analysis of the statement may run code (analysis-code.ts). */
export const analysisRunsCode = (c: Classification): boolean => c.analysisRunsCode === true;

/** The cursors and portals FETCHes read. */
export function fetchTargets(classes: readonly Classification[]): string[] {
  return classes.flatMap((c) => (c.cursor?.op === 'fetch' ? [c.cursor.name ?? ''] : []));
}
