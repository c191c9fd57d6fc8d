/**
 * The session's prepared statements, portals and SQL cursors exactly as the server holds them, so that a name the
 * agent binds or executes is decided as what the server will run under that name.
 *
 * A change is recorded when its message is forwarded and applied only when the server confirms it
 * (ParseComplete, BindComplete, the statement's CommandComplete). A create the server refuses (42P05,
 * 42P03, any error) or skips after an earlier error is never applied; a drop is applied whatever
 * happens, since forgetting a name only makes the proxy refuse it. Lookups for messages later in the
 * same batch see the pending changes in order: the server runs them in that order, and if one fails
 * it skips everything up to Sync.
 */
import type { Classification, TransactionOp } from '../sql/types.js';
import type { RowPlan } from './result-masker.js';
import type { RowCap } from './runtime-caps.js';
import { carriedStatementBytes, MAX_PLAN_BYTES, objectBytes } from './held-bytes.js';
import { sourceDigest, type TrackedName } from './server-cursor-check.js';

export interface Prepared {
  sql: string;
  classes: Classification[];
  /** The prepared statements this one EXECUTEs, as they were when it was classified (the server looks them up when it runs). */
  executes?: ReadonlyMap<string, Prepared | undefined>;
}

export interface Portal {
  stmt: Prepared;
  described: boolean;
  plan?: RowPlan;
  /** The policy runtime the plan was made under: a plan made under an earlier policy is made again. */
  planFor?: object;
  /** Rows returned by this portal so far, across Executes (maxRowsReturned). */
  cap?: RowCap;
}

/** A cursor opened by SQL DECLARE: FETCH and MOVE read its query, decided again under the current policy. */
export interface SqlCursor {
  /** The DECLARE's classification (its tables, effects and reads are those of the cursor's query). */
  cls: Classification;
  hold: boolean;
  /** The policy runtime that allowed the DECLARE. */
  decidedBy: object;
  /** Digest and size of the text that declared it, as pg_cursors shows it (server-cursor-check.ts). */
  sourceDigest: string;
  sourceBytes: number;
}

type Namespace = 'statement' | 'portal' | 'cursor';

/** A create (value set) or a drop (no value; no name: every object of the namespace). */
export type StateChange =
  | { ns: 'statement'; name: string; value: Prepared; dropOnFailure?: boolean }
  | { ns: 'portal'; name: string; value: Portal; dropOnFailure?: boolean }
  | { ns: 'cursor'; name: string; value: SqlCursor; dropOnFailure?: boolean }
  | { ns: Namespace; name?: string; value?: undefined }
  /** Every portal or cursor but the running ones, once code the proxy cannot see has run (user-code.ts). */
  | { ns: 'portal' | 'cursor'; byUserCode: true; except: string[]; name?: undefined; value?: undefined }
  | { ns: 'transaction'; op: TransactionOp; name?: undefined; value?: undefined };

type Value = Prepared | Portal | SqlCursor;

export type Outcome = 'confirmed' | 'failed' | 'skipped';

export class ServerObjects {
  /** `onFailedCreate`: a portal or cursor create the server refused or skipped (the name's object is unknown). */
  constructor(private readonly onFailedCreate: (name: string) => void = () => {}) {}

  private readonly statements = new Map<string, Prepared>();
  private readonly portals = new Map<string, Portal>();
  private readonly cursors = new Map<string, SqlCursor>();
  /** Changes forwarded but not yet answered, in server order, with the queue entry or statement they belong to. */
  private readonly pending: { owner: object; change: StateChange; bytes: number }[] = [];
  /** Bytes the confirmed objects make the proxy hold, and those of creates still pending (held-bytes.ts). */
  private confirmedBytes = 0;
  private pendingBytes = 0;
  /** The portals of each held statement; a portal whose statement is no longer held keeps it alive and carries its text. */
  private readonly portalsOf = new Map<Prepared, Set<Portal>>();
  private readonly carried = new Map<Portal, number>();
  /**
   * Cursors declared in the current transaction, with the number of savepoints set when each was declared:
   * PostgreSQL drops them (WITH HOLD ones too) if the transaction aborts, and ROLLBACK TO drops those
   * declared after its savepoint was set.
   */
  private readonly declaredIn = new Map<string, number>();
  /** The savepoints of the current transaction, oldest first (a name may repeat: the newest is used). */
  private savepoints: string[] = [];
  /** An error aborted the current transaction (or subtransaction, until ROLLBACK TO). */
  private failed = false;
  /** Portal Describes not yet answered, and the plan bytes they reserve until then (not part of heldBytes). */
  private describing = 0;
  private reserved = 0;
  /** The bytes each confirmed portal's masking plan is counted at. */
  private readonly planCounted = new Map<Portal, number>();
  /** The size of the last plan made for a statement's portal: what a Describe of another of its portals reserves. */
  private readonly lastPlan = new WeakMap<Prepared, number>();

  expect(owner: object, ...changes: StateChange[]): void {
    for (const change of changes) {
      const bytes = change.value === undefined ? 0 : objectBytes(change.ns, change.value);
      this.pendingBytes += bytes;
      this.pending.push({ owner, change, bytes });
    }
  }

  /**
   * What dropping a confirmed statement or cursor (no name: all of them) would free now, for a query that
   * drops it before it creates others (held-bytes.ts createdBytes). Nothing while any change is pending:
   * the order against those is not the proxy's to assume.
   */
  freedBy(ns: 'statement' | 'cursor', name?: string): number {
    if (this.pending.length) return 0;
    const freed = (v: Value): number =>
      ns === 'cursor'
        ? objectBytes(ns, v)
        : // Its portals keep it alive: they then carry its text.
          Math.max(
            0,
            objectBytes(ns, v) - (this.portalsOf.get(v as Prepared)?.size ?? 0) * carriedStatementBytes(v as Prepared),
          );
    if (name !== undefined) {
      const v = this.map(ns).get(name);
      return v ? freed(v) : 0;
    }
    let bytes = 0;
    for (const v of this.map(ns).values()) bytes += freed(v);
    return bytes;
  }

  /** What the session's objects hold in the proxy, counting every create still pending as if confirmed. */
  heldBytes(): number {
    return this.confirmedBytes + this.pendingBytes;
  }

  statement(name: string): Prepared | undefined {
    return this.view('statement', name) as Prepared | undefined;
  }

  portal(name: string): Portal | undefined {
    return this.view('portal', name) as Portal | undefined;
  }

  cursor(name: string): SqlCursor | undefined {
    return this.view('cursor', name) as SqlCursor | undefined;
  }

  /** The server answered (or skipped) the owner's message: its changes, and any left before them, are settled. */
  settle(owner: object, outcome: Outcome): void {
    const last = this.pending.findLastIndex((p) => p.owner === owner);
    // Changes of earlier owners still pending were not confirmed: only their drops apply.
    for (const p of this.pending.splice(0, last + 1)) {
      this.pendingBytes -= p.bytes;
      this.apply(p.change, p.owner === owner ? outcome : 'failed');
    }
  }

  /** What a Describe of `p` reserves until answered: its statement's last plan, else the largest plan there can be. */
  planReserve(p: Portal): number {
    return this.lastPlan.get(p.stmt) ?? MAX_PLAN_BYTES;
  }

  /** Portal Describes still unanswered. */
  describesPending(): number {
    return this.describing;
  }

  /** What unanswered portal Describes reserve for their plans. */
  reservedPlanBytes(): number {
    return this.reserved;
  }

  reservePlan(bytes: number): void {
    this.describing++;
    this.reserved += bytes;
  }

  /** A Describe was answered, failed or skipped: its reservation ends. */
  releasePlan(bytes: number): void {
    this.describing--;
    this.reserved -= bytes;
  }

  /** A masking plan of `bytes` was made for portal `p` (named `name`): counted while the portal is held. */
  planMade(name: string, p: Portal, bytes: number): void {
    this.lastPlan.set(p.stmt, bytes);
    if (this.portals.get(name) !== p) return;
    this.confirmedBytes += bytes - (this.planCounted.get(p) ?? 0);
    this.planCounted.set(p, bytes);
  }

  /** A portal's plan is no longer kept (made again before its next Execute). */
  planDropped(p: Portal): void {
    this.confirmedBytes -= this.planCounted.get(p) ?? 0;
    this.planCounted.delete(p);
  }

  /** The held portals whose plans are counted. */
  plannedPortals(): Iterable<Portal> {
    return this.planCounted.keys();
  }

  /** Whether the proxy follows a portal or cursor of this name. */
  holds(name: string): boolean {
    return this.cursor(name) !== undefined || this.portal(name) !== undefined;
  }

  /** What the proxy knows under a portal or cursor name, for the server check (server-cursor-check.ts). */
  tracked(name: string): { object: object; known: TrackedName } | undefined {
    const cursor = this.cursor(name);
    if (cursor) return { object: cursor, known: { sourceDigest: cursor.sourceDigest, hold: cursor.hold } };
    const portal = this.portal(name);
    return portal && { object: portal, known: { sourceDigest: sourceDigest(portal.stmt.sql), hold: false } };
  }

  /** The server holds something else under `name`: the proxy's object of that name is gone. */
  replaced(name: string): void {
    this.forget('portal', name);
    this.forget('cursor', name);
  }

  /** The queries a FETCH of `name` reads: its cursor's, or its portal's statements. */
  readBy(name: string): Classification[] {
    const cursor = this.cursor(name);
    if (cursor) return [cursor.cls];
    return this.portal(name)?.stmt.classes ?? [];
  }

  /** The server sent an error: the transaction in progress (explicit, or the implicit one of a Query or batch) aborts. */
  errorSeen(): void {
    this.failed = true;
  }

  /**
   * The transaction ended (ReadyForQuery idle): portals made by Bind are never holdable; only WITH HOLD
   * cursors are left, and only those of committed transactions.
   */
  transactionEnded(): void {
    this.forgetAll('portal');
    this.endTransaction(!this.failed);
  }

  private endTransaction(committed: boolean): void {
    if (!committed) for (const name of this.declaredIn.keys()) this.forget('cursor', name);
    this.declaredIn.clear();
    for (const [name, c] of this.cursors) if (!c.hold) this.forget('cursor', name);
    this.savepoints = [];
    this.failed = false;
  }

  private transactionChange(t: TransactionOp): void {
    const at = this.savepoints.lastIndexOf(t.savepoint ?? '');
    switch (t.op) {
      case 'begin': // inside a transaction PostgreSQL only warns
        return;
      case 'commit': // COMMIT of a failed transaction rolls it back
      case 'rollback':
        return this.endTransaction(t.op === 'commit' && !this.failed);
      case 'savepoint':
        this.savepoints.push(t.savepoint ?? '');
        return;
      case 'release':
        if (at < 0) return;
        this.savepoints.length = at;
        for (const [name, depth] of this.declaredIn) if (depth > at) this.declaredIn.set(name, at);
        return;
      case 'rollback-to':
        // A savepoint the proxy did not follow: every cursor of the transaction is forgotten (fail closed).
        this.savepoints.length = at + 1;
        for (const [name, depth] of this.declaredIn) if (depth > at) this.forget('cursor', name);
        this.failed = false;
        return;
    }
  }

  private map(ns: Namespace): Map<string, Value> {
    return ns === 'statement' ? this.statements : ns === 'portal' ? this.portals : this.cursors;
  }

  private apply(c: StateChange, outcome: Outcome): void {
    if (c.ns === 'transaction') {
      if (outcome === 'confirmed') this.transactionChange(c.op);
    } else if ('byUserCode' in c) {
      for (const name of [...this.map(c.ns).keys()]) if (!c.except.includes(name)) this.forget(c.ns, name);
    } else if (c.value === undefined) {
      if (c.name === undefined) this.forgetAll(c.ns);
      else this.forget(c.ns, c.name);
    } else if (outcome === 'confirmed') {
      this.forget(c.ns, c.name);
      this.map(c.ns).set(c.name, c.value);
      this.confirmedBytes += objectBytes(c.ns, c.value);
      if (c.ns === 'statement') this.portalsOf.set(c.value, new Set());
      if (c.ns === 'cursor') this.declaredIn.set(c.name, this.savepoints.length);
      if (c.ns === 'portal') {
        const siblings = this.portalsOf.get(c.value.stmt);
        if (siblings) siblings.add(c.value);
        else this.carry(c.value);
      }
    } else {
      if (c.ns !== 'statement') this.onFailedCreate(c.name);
      if (outcome === 'failed' && c.dropOnFailure) this.forget(c.ns, c.name);
    }
  }

  private forget(ns: Namespace, name: string): void {
    const map = this.map(ns);
    const v = map.get(name);
    if (v === undefined) return;
    map.delete(name);
    this.confirmedBytes -= objectBytes(ns, v);
    if (ns === 'statement') {
      for (const p of this.portalsOf.get(v as Prepared) ?? []) this.carry(p);
      this.portalsOf.delete(v as Prepared);
    } else if (ns === 'cursor') this.declaredIn.delete(name);
    else if (ns === 'portal') {
      const p = v as Portal;
      this.portalsOf.get(p.stmt)?.delete(p);
      this.confirmedBytes -= (this.carried.get(p) ?? 0) + (this.planCounted.get(p) ?? 0);
      this.carried.delete(p);
      this.planCounted.delete(p);
    }
  }

  /** A held portal whose statement was Closed: it keeps the statement alive, so counts its text. */
  private carry(p: Portal): void {
    const bytes = carriedStatementBytes(p.stmt);
    this.carried.set(p, bytes);
    this.confirmedBytes += bytes;
  }

  private forgetAll(ns: Namespace): void {
    for (const name of [...this.map(ns).keys()]) this.forget(ns, name);
  }

  private view(ns: Namespace, name: string): Value | undefined {
    let v: Value | undefined = this.map(ns).get(name);
    for (const { change: c } of this.pending) {
      // While code the proxy cannot see runs, no name but the running ones is known (user-code.ts).
      if ('byUserCode' in c) {
        if (c.ns === ns && !c.except.includes(name)) v = undefined;
      } else if (c.ns === ns && (c.name === undefined || c.name === name)) v = c.value;
    }
    return v;
  }
}

/**
 * The text an approval covers (and hashes): a query that EXECUTEs prepared statements is approved with
 * the statements it runs, so that a grant for `EXECUTE p` does not release whatever `p` is later.
 */
export function approvalText(
  sql: string,
  executes: readonly (string | undefined)[],
  objects: ServerObjects,
  classes: readonly Classification[] = [],
): string {
  const scope = new QueryScope(objects);
  const run: string[] = [];
  executes.forEach((n, i) => {
    if (n !== undefined) run.push(`-- EXECUTE ${n}: ${scope.get(n)?.sql ?? '(unknown)'}`);
    if (classes[i]) scope.after(classes[i]);
  });
  return run.length ? `${sql}\n${run.join('\n')}` : sql;
}

/** Snapshot of the statements a statement EXECUTEs (undefined when it executes none). */
export function executedStatements(
  names: readonly (string | undefined)[],
  objects: ServerObjects,
): Map<string, Prepared | undefined> | undefined {
  const used = names.filter((n): n is string => n !== undefined);
  return used.length ? new Map(used.map((n) => [n, objects.statement(n)])) : undefined;
}

/** The first statement `p` EXECUTEs that is no longer the one `p` was classified with. */
export function changedExecuted(p: Prepared, objects: ServerObjects): string | undefined {
  for (const [name, was] of p.executes ?? []) if (objects.statement(name) !== was) return name;
  return undefined;
}

/** What SQL PREPARE makes of a statement: its classification, without the PREPARE itself. */
export function preparedBy(c: Classification): Prepared {
  return { sql: c.text, classes: [{ ...c, prepares: undefined } as Classification] };
}

/** Lookups for the statements of one query, in order: each sees what the earlier ones PREPAREd or DEALLOCATEd. */
export class QueryScope {
  private readonly local = new Map<string, Prepared | undefined>();
  private cleared = false;
  constructor(private readonly objects: ServerObjects) {}

  get(name: string): Prepared | undefined {
    return this.local.has(name) ? this.local.get(name) : this.cleared ? undefined : this.objects.statement(name);
  }

  after(c: Classification): void {
    if (c.prepares !== undefined) this.local.set(c.prepares, preparedBy(c));
    if (c.deallocates === '*') {
      this.local.clear();
      this.cleared = true;
    } else if (c.deallocates !== undefined) this.local.set(c.deallocates, undefined);
  }
}
