/**
 * One agent session on the Postgres data path, after authentication — the Postgres adapter of the
 * gate: every frontend message is framed, every statement classified and handed to the gate
 * (proxy/gate/) as a request (simple and extended protocol alike), its verdict applied in PostgreSQL's
 * terms, and results masked on the way back.
 *
 * Responses are matched to requests with a queue (the protocol answers in order). A denial is sent
 * upstream as a message the server must reject (refusal.ts), and the server's error is replaced by the
 * denial: the agent gets it in protocol order, and the server's transaction fails exactly as after a
 * PostgreSQL error; in the extended protocol a denial also discards messages until Sync, as PostgreSQL
 * does. Runtime caps (runtime-caps.ts) act on what the server reports while a statement runs.
 */
import type { Socket } from 'node:net';
import type { AuditLog } from '../audit/audit-log.js';
import type { ScopedAudit } from '../audit/audit-log.js';
import type { AuditFields } from '../audit/record.js';
import { principalRecord, type Principal } from '../identity/verify.js';
import type { ProxyMetrics } from '../observability/metrics.js';
import type { Gate } from '../gate/gate.js';
import type { EventSink } from '../gate/record.js';
import {
  describeMayReplace,
  emptyClassification,
  fastPathCall,
  limitsOf,
  replacedCursor,
  rowCapsActive,
  unparseable,
  writes,
} from '../gate/guards.js';
import { sqlRequest, type SqlOperation, type SqlRequest } from '../gate/sql-request.js';
import type { GateRequest } from '../gate/request.js';
import { denial, type ApprovalOutcome, type Forward, type Refuse, type Verdict } from '../gate/verdict.js';
import type { PolicyRuntime } from '../policy/runtime.js';
import type { RuntimeLimits, TargetSpec } from '../../shared/contract/policy-types.js';
import type { Catalog } from '../sql/catalog.js';
import type { ShapesResult, StatementClassifier } from '../sql/classifier.js';
import { DeferredErrors } from '../masking/deferred-errors.js';
import { DerivedMaskMemo } from '../masking/derived-memo.js';
import { BIND_ERRORS_MASK, type DerivedMask } from '../masking/lineage-rule.js';
import { mergeReads } from '../sql/lineage.js';
import { resolveShape } from '../sql/resolve.js';
import type { Classification, StatementShape } from '../sql/types.js';
import { createdBytes, overHeld, planBytes, portalBytes, statementBytes } from './held-bytes.js';
import { oversizedStatement, protocolLimits } from './limits.js';
import {
  bodyReader,
  commandTag,
  describePortal,
  errorResponse,
  Framer,
  MessageTooLarge,
  parseErrorNotice,
  parseRowDescription,
  ProtocolError,
  queryMessage,
  readyForQuery,
  type Column,
  type ErrorFields,
  type Message,
} from './protocol.js';
import { failingParse, failingQuery, refusalError } from './refusal.js';
import { capError, FLUSH, isStatementTimeout, newRowCap, type CapHit, type RowCap } from './runtime-caps.js';
import { ResultMasker, type ColumnNames, type RowPlan } from './result-masker.js';
import {
  onParameterStatus,
  SessionInvariants,
  violationMessage,
  type InvariantViolation,
} from './session-invariants.js';
import {
  cursorChanges,
  declareLocally,
  fetchRefusal,
  nameUse,
  staleRead,
  unknownAfterUserCode,
  type LocalCursors,
} from './sql-cursors.js';
import { NameBaselines } from './name-baselines.js';
import { NameFreshness, type NameUse } from './name-freshness.js';
import { analysisRunsCode, fetchTargets, NameReach } from './name-reach.js';
import {
  checkId,
  checkMessage,
  sameObject,
  serverCursor,
  type CheckOutcome,
  type ServerCursor,
} from './server-cursor-check.js';
import { runningNames, userCodeChanges } from './user-code.js';
import { stillWanted } from './still-wanted.js';
import {
  approvalText,
  changedExecuted,
  executedStatements,
  preparedBy,
  QueryScope,
  ServerObjects,
  type Outcome,
  type Portal,
  type Prepared,
  type StateChange,
} from './server-objects.js';
import { armExpiry } from './token-expiry.js';

export interface SessionContext {
  target: TargetSpec;
  /** The policy in force now (it may be replaced while the session runs). */
  runtime: () => PolicyRuntime;
  classifier: StatementClassifier;
  catalog: () => Catalog & ColumnNames;
  audit: AuditLog;
  principal: Principal;
  sessionId: string;
  connectionId: string;
  /** Milliseconds; injected for tests. */
  now?: () => number;
  /** Decides, holds for approval and records every statement (proxy/gate/). */
  gate: Gate;
  /** Kubernetes Events (cluster mode; a no-op in local mode), de-duplicated and rate-limited by the recorder. */
  events: EventSink;
  metrics?: ProxyMetrics;
  /** ParameterStatus values the server reported when the upstream session opened. */
  startupParameters?: [string, string][];
  /** Settles once the catalog knows the relations these statements name (undefined: it already does). */
  freshCatalog?: (shapes: readonly StatementShape[]) => Promise<void> | undefined;
  /** Called after a statement that may have changed the catalog completed. */
  onSchemaChange?: () => void;
  /** Sends a CancelRequest for the proxy's upstream session (maxStatementSeconds). */
  cancelUpstream?: () => void;
  onClose?: () => void;
  /** Traffic while the server owes the session an answer (busy-poll.ts keeps the event loop awake). */
  onTraffic?: () => void;
}

interface StatementRun {
  cls: Classification;
  seq?: number;
  started: number;
  rows: number;
  masked: number;
  /** maxRowsAffected / maxRowsReturned, when the policy sets them. */
  cap?: RowCap;
}

/** A simple Query run under runtime caps (one at a time: the proxy acts on its outcome). */
interface QueryCaps {
  /** The proxy opened a transaction around this autocommit write (BEGIN before, COMMIT/ROLLBACK after). */
  wrapped: boolean;
  /** The cap error that replaces the rest of this query's output. */
  failed?: Buffer;
  /** Wrapped: the write's CommandComplete, sent once its COMMIT succeeded. */
  tag?: Buffer;
}

type Pending =
  | { kind: 'query'; runs: StatementRun[]; idx: number; caps?: QueryCaps }
  | { kind: 'parse' | 'bind' | 'close' | 'sync' | 'flush' }
  /**
   * `reserved`: the plan bytes a portal Describe holds in the session's count until answered (held-bytes.ts).
   * `sentAt`: `sentUpstream` just after it was sent.
   */
  | {
      kind: 'describe';
      portal?: string;
      target?: Portal;
      synthetic: boolean;
      reserved?: number;
      sentAt?: number;
      /** Describing the portal may run code that replaces it (describeRunsCode): its columns' lineage is unknown. */
      runsCode?: boolean;
    }
  | { kind: 'execute'; run: StatementRun; portal: string; target: Portal }
  | { kind: 'synthetic'; emit: () => Buffer[] }
  /** A refusal sent upstream as a failing message: the server's error is replaced by `error`. */
  | { kind: 'refusal'; protocol: 'simple' | 'extended'; error: Buffer }
  /** A query of the proxy's own (caps): its whole response is consumed by the proxy. */
  | { kind: 'internal'; error?: Buffer; then: (status: number, error?: Buffer) => void }
  /** The proxy's check of stale portal and cursor names (server-cursor-check.ts): consumed by the proxy. */
  | { kind: 'check'; rows: ServerCursor[]; failed: boolean; error?: string; done: () => void };

const T = (c: string): number => c.charCodeAt(0);
const DDL_LIKE = new Set(['ddl', 'privilege', 'admin', 'unknown']);
const COPY_IN_MESSAGES = new Set([T('d'), T('c'), T('f'), T('H'), T('S'), T('X')]);
/** Statements that create, close or end the life of portals the proxy does not track by name: it forgets every portal. */
const PORTAL_KINDS = new Set(['DeclareCursorStmt', 'ClosePortalStmt', 'DiscardStmt', 'TransactionStmt']);

export class PgSession {
  private readonly clientFramer = new Framer(() => protocolLimits(this.ctx.runtime().policy.spec).maxMessageBytes);
  private readonly upstreamFramer = new Framer(() => protocolLimits(this.ctx.runtime().policy.spec).maxMessageBytes);
  private readonly queue: Pending[] = [];
  /** Which portal and cursor names may have been replaced by code run since (name-freshness.ts). */
  private readonly freshness = new NameFreshness();
  /** When the server made each followed name, recorded while fresh (name-baselines.ts). */
  private readonly baselines = new NameBaselines();
  /**
   * Prepared statements and portals as the server holds them (server-objects.ts). A create the server
   * refused or skipped leaves its name as it was on the server: stale, not fresh.
   */
  private readonly objects = new ServerObjects((name) => {
    this.freshness.unknown(name);
    this.baselines.forget(name);
  });
  /** What messages read through names, and which may run code that replaces them (name-reach.ts). */
  private readonly reach = new NameReach(this.objects, this.freshness);
  private readonly checkId = checkId();
  /** An extended-protocol message went upstream since the last ReadyForQuery (no check can be sent then). */
  private extendedSinceReady = false;
  /** Errors of work the server defers to a transaction's end (deferred-errors.ts). */
  private readonly deferredErrors = new DeferredErrors();
  private readonly derivedMasks = new DerivedMaskMemo();
  private disarmExpiry?: () => void;
  private readonly inbox: Message[] = [];
  private toUpstream: Buffer[] = [];
  /** Messages sent to the server so far (sendUpstream). */
  private sentUpstream = 0;
  private toClient: Buffer[] = [];
  private busy = false;
  private discardUntilSync = false;
  private copyIn = false;
  private copyOut?: { run?: StatementRun; plan?: RowPlan };
  private rowPlan?: RowPlan;
  private txStatus: number;
  private closed = false;
  private readonly now: () => number;
  private resultMasker: ResultMasker;
  private maskerOf: PolicyRuntime;
  /** The audit log with this session's ids, principal and target serialized once. */
  private readonly audit: ScopedAudit;
  /** The agent's stated reason for what it does next (SET agentgate.reason = '...'). */
  private reason?: string;
  /** A statement under runtime caps: agent messages wait until it (and the proxy's follow-up) is done. */
  private hold?: { entry: Pending; release: () => void };
  private idleWaiter?: () => void;
  /** maxStatementSeconds backstop: the statement the timer runs for. */
  private timed?: { entry: Pending; idx: number; timer: NodeJS.Timeout };
  private readonly invariants: SessionInvariants;
  /** Client messages wait while a Query or Sync is in flight (see pump). */
  private heldForReady = false;
  /** While a statement is held for an approval: aborted by the client's CancelRequest (cancelHeld). */
  private approvalWait?: AbortController;

  constructor(
    private readonly client: Socket,
    private readonly upstream: Socket,
    private readonly ctx: SessionContext,
    initialStatus: number,
  ) {
    this.txStatus = initialStatus;
    this.now = ctx.now ?? Date.now;
    this.maskerOf = ctx.runtime();
    this.resultMasker = new ResultMasker(this.maskerOf.masker, ctx.catalog);
    this.audit = ctx.audit.scope(this.base());
    this.invariants = new SessionInvariants(ctx.target, ctx.startupParameters ?? []);
  }

  start(): void {
    this.client.on('data', (d: Buffer) => this.onClientData(d));
    this.upstream.on('data', (d: Buffer) => this.onUpstreamData(d));
    this.client.on('close', () => this.close('agent disconnected'));
    this.upstream.on('close', () => this.upstreamLost());
    this.client.on('error', () => this.close('agent connection error'));
    this.upstream.on('error', () => this.upstreamLost());
    // Backpressure both ways: a slow reader pauses the other side instead of growing buffers.
    this.client.on('drain', () => this.upstream.resume());
    this.upstream.on('drain', () => {
      if (!this.busy) this.client.resume();
    });
    this.client.resume();
    this.upstream.resume();
    this.disarmExpiry = armExpiry(this.ctx.principal.exp, this.now, () => {
      if (!this.closed) this.tokenExpired();
    });
  }

  // ---------------------------------------------------------------- frontend → proxy → upstream

  private onClientData(d: Buffer): void {
    const queued = this.inbox.length;
    try {
      this.clientFramer.push(d, (m) => this.inbox.push(m));
    } catch (e) {
      return this.protocolViolation(e as Error);
    }
    const whole = this.inbox.length > queued;
    this.pump();
    // Awake only while the server owes an answer: bytes of a message not yet whole, or messages that ask
    // nothing of the server (a Flush with nothing pending, COPY data outside a COPY), keep nothing awake.
    if (whole && this.queue.length > 0) this.ctx.onTraffic?.();
  }

  private pump(): void {
    while (!this.busy && this.inbox.length > 0 && !this.closed) {
      // A setting changed by the statement in flight is reported (ParameterStatus) just before its
      // ReadyForQuery: nothing else goes upstream until then, so the session guard sees it first.
      if (this.awaitingReady()) {
        this.heldForReady = true;
        this.client.pause();
        break;
      }
      if (this.heldForReady) {
        this.heldForReady = false;
        this.client.resume();
      }
      const m = this.inbox.shift()!;
      let r: void | Promise<void>;
      try {
        r = this.onClientMessage(m);
      } catch (e) {
        return this.protocolViolation(e as Error);
      }
      if (r instanceof Promise) {
        this.busy = true;
        this.client.pause();
        r.then(
          () => {
            this.busy = false;
            this.client.resume();
            this.flush();
            this.pump();
          },
          (e: Error) => this.protocolViolation(e),
        );
        this.flush();
        return;
      }
    }
    this.flush();
  }

  private awaitingReady(): boolean {
    // During COPY FROM STDIN every message is handled at once: COPY data flows, anything else ends the session.
    if (this.copyIn) return false;
    return this.queue.some((p) => p.kind === 'query' || p.kind === 'sync');
  }

  private forward(m: Message): void {
    if (m.type !== T('Q') && m.type !== T('S')) this.extendedSinceReady = true;
    this.sendUpstream(m.buf.subarray(m.start, m.end));
  }

  /** Every message to the server goes through here, the agent's and the proxy's own, and is counted. */
  private sendUpstream(b: Buffer): void {
    this.sentUpstream++;
    pushSegment(this.toUpstream, b);
  }

  private onClientMessage(m: Message, recorded = false): void | Promise<void> {
    const type = m.type;
    if (this.discardUntilSync && type !== T('S') && type !== T('X')) return;
    if (this.copyIn && !COPY_IN_MESSAGES.has(type)) {
      // PostgreSQL would consume it as the COPY's failure and leave it unanswered; the proxy's queue could not follow.
      throw new ProtocolError(
        `unexpected message type ${JSON.stringify(String.fromCharCode(type))} during COPY from STDIN`,
      );
    }
    // The first message of a batch: names made before it are recorded now (name-baselines.ts), while the
    // server may be asked; a Query or an Execute, which may only read them, decides that itself.
    if (!recorded && type !== T('Q') && type !== T('E') && type !== T('X') && this.canCheck()) {
      const due = this.baselinesDue(() => false);
      if (due.length) return this.checkNames([], due).then(() => this.onClientMessage(m, true));
    }
    switch (type) {
      case T('Q'): {
        const sql = bodyReader(m, 'Query').cstring();
        bodyDone(m, sql);
        if (this.refuseOversized(sql, 'simple')) return;
        return this.withShapes(sql, (shapes) => this.simpleQuery(m, sql, shapes));
      }
      case T('P'): {
        const r = bodyReader(m, 'Parse');
        const name = r.objectName();
        const sql = r.cstring();
        const n = r.int16();
        for (let i = 0; i < n; i++) r.int32();
        r.done();
        if (this.refuseCutName(name)) return;
        if (this.refuseOversized(sql, 'extended')) return;
        return this.withShapes(sql, (shapes) => this.parse(m, name, sql, shapes));
      }
      case T('B'): {
        const r = bodyReader(m, 'Bind');
        const portal = r.objectName();
        const stmtName = r.objectName();
        r.bytes(2 * Math.max(0, r.int16())); // parameter formats
        const parameters = r.int16();
        if (this.refuseCutName(portal, stmtName)) return;
        const stmt = this.objects.statement(stmtName);
        if (!stmt)
          return this.denyExtended({
            code: '26000',
            message: `prepared statement "${stmtName}" does not exist (or was refused by agentgate)`,
          });
        const value: Portal = { stmt, described: false };
        if (this.refuseOverHeld(mergePrepared(stmt) ?? emptyClassification(stmt.sql), portalBytes(value), 'extended'))
          return;
        // Bind plans the statement, converts its parameters (a domain's CHECK, a constant folded) and
        // re-analyses it if its plan was invalidated (analysis-code.ts): code may run.
        const runsCode = parameters > 0 || !stmt.classes.every(plannedNothing) || stmt.classes.some(analysisRunsCode);
        const entry: Pending = { kind: 'bind' };
        this.queue.push(entry);
        // A failed Bind may have dropped the unnamed portal, or left a server portal of that name the proxy never classified.
        this.objects.expect(entry, {
          ns: 'portal',
          name: portal,
          value,
          dropOnFailure: true,
        });
        if (runsCode) {
          this.freshness.ran({ reads: [], creates: [portal] });
        } else this.freshness.known(portal);
        this.baselines.made([portal]);
        return this.forward(m);
      }
      case T('D'): {
        const r = bodyReader(m, 'Describe');
        const what = r.byte();
        const name = r.objectName();
        r.done();
        if (this.refuseCutName(name)) return;
        const target = what === T('P') ? this.objects.portal(name) : undefined;
        if (what === T('P') && !target)
          return this.denyExtended({ code: '34000', message: `portal "${name}" does not exist` });
        if (!target) {
          const stmt = this.objects.statement(name);
          // A Describe of a statement re-analyses it if its plan was invalidated (analysis-code.ts).
          if (stmt && (stmt.classes.some(analysisRunsCode) || this.reach.describeRunsCode(stmt))) this.freshness.ran();
          this.queue.push({ kind: 'describe', synthetic: false });
          return this.forward(m);
        }
        const reserved = this.planReserve(target);
        if (this.planMustWait(reserved)) return this.whenIdle().then(() => this.onClientMessage(m));
        const runsCode = this.reach.describeRunsCode(target.stmt);
        const entry: Pending = { kind: 'describe', synthetic: false, portal: name, target, reserved, runsCode };
        this.describePending(entry);
        // The code may replace this very portal too (PostgreSQL then describes the new one).
        if (runsCode) this.freshness.ran();
        this.forward(m);
        entry.sentAt = this.sentUpstream;
        return;
      }
      case T('E'): {
        const r = bodyReader(m, 'Execute');
        const name = r.objectName();
        const maxRows = r.int32();
        r.done();
        if (this.refuseCutName(name)) return;
        return this.execute(m, name, maxRows);
      }
      case T('C'): {
        const r = bodyReader(m, 'Close');
        const what = r.byte();
        const name = r.objectName();
        r.done();
        if (this.refuseCutName(name)) return;
        const entry: Pending = { kind: 'close' };
        this.queue.push(entry);
        this.objects.expect(
          entry,
          ...(what === T('S')
            ? [{ ns: 'statement' as const, name }]
            : [
                { ns: 'portal' as const, name },
                { ns: 'cursor' as const, name },
              ]),
        );
        return this.forward(m);
      }
      case T('S'):
        if (this.copyIn) return this.forward(m); // ignored by the server during COPY IN: no answer to wait for
        this.discardUntilSync = false;
        this.queue.push({ kind: 'sync' });
        return this.forward(m);
      case T('H'):
        return this.forward(m);
      case T('F'):
        return this.functionCall();
      case T('d'):
      case T('c'):
      case T('f'):
        // COPY data only flows while the server is in COPY FROM STDIN for an allowed statement;
        // outside it PostgreSQL ignores these messages too.
        if (this.copyIn) {
          if (type !== T('d')) this.copyIn = false;
          this.forward(m);
        }
        return;
      case T('X'):
        this.forward(m);
        this.flush();
        return this.close('agent terminated the session');
      default:
        throw new ProtocolError(`unexpected message type ${JSON.stringify(String.fromCharCode(type))} after startup`);
    }
  }

  private withShapes(sql: string, then: (r: ShapesResult) => void | Promise<void>): void | Promise<void> {
    if (this.tokenExpired()) return;
    const r = this.ctx.classifier.shapes(sql);
    // A statement that waited (the parser's first load, the worker, a catalog refresh) is not decided
    // once the agent has gone (it could not run, and would leave a decision or approval request behind),
    // nor once the session's token expired meanwhile.
    const mayDecide = (): boolean => !this.closed && !this.tokenExpired();
    const decide = (r: ShapesResult): void | Promise<void> => (mayDecide() ? then(r) : undefined);
    const withCatalog = (r: ShapesResult): void | Promise<void> => {
      const fresh = r.ok ? this.ctx.freshCatalog?.(r.shapes) : undefined;
      return fresh ? fresh.then(() => decide(r)) : then(r);
    };
    return r instanceof Promise ? r.then((r) => (mayDecide() ? withCatalog(r) : undefined)) : withCatalog(r);
  }

  private classify(sql: string, r: ShapesResult): Classification[] | { error: string } {
    if (!r.ok) return { error: r.error };
    const catalog = this.ctx.catalog();
    const scope = new QueryScope(this.objects);
    const lookup = { get: (name: string) => mergePrepared(scope.get(name)) };
    return r.shapes.map((s) => {
      const c = resolveShape(s, sql, catalog, lookup);
      scope.after(c);
      return c;
    });
  }

  private simpleQuery(
    m: Message,
    sql: string,
    shapes: ShapesResult,
    checked?: Map<string, CheckOutcome>,
  ): void | Promise<void> {
    const classes = this.classify(sql, shapes);
    if ('error' in classes) return this.refuseUnparsed(sql, 'simple', classes.error);
    if (
      this.refuseOverHeld(
        classes[0]!,
        createdBytes(classes, (ns, name) => this.objects.freedBy(ns, name), sql),
        'simple',
      )
    )
      return;
    // Names read after other statements ran: the server is asked about those read first (nothing of
    // this query has run yet); a later one is refused.
    const stale = this.staleTracked(classes.map((c) => this.reach.statementUse(c)));
    const due = this.baselinesDue((n) => classes.every((c) => c.cursor?.name === n));
    if (!checked && (stale[0]!.length || due.length) && this.canCheck())
      return this.checkNames(stale[0]!, due).then((r) => this.simpleQuery(m, sql, shapes, r));
    const rt = this.runtime();
    // Cursors declared by earlier statements of the same query: a FETCH reads them.
    const cursors: LocalCursors = new Map();
    // After a statement of the same query that may run user code, no cursor or portal name is known.
    let userCodeBefore = false;
    const operations = classes.map((c, i): SqlOperation => {
      const staleName = stale[i]![0] ?? replacedName(c, checked);
      const through =
        staleName !== undefined
          ? staleRead(staleName, checked?.get(staleName))
          : userCodeBefore
            ? unknownAfterUserCode(c)
            : this.cursorCheck(c, new Map(cursors));
      const op = { classification: c, through };
      declareLocally(cursors, c, rt);
      userCodeBefore ||= userCodeChanges(c, this.objects, this.ctx.catalog(), []).length > 0;
      return op;
    });
    // The whole query text is what gets approved (and hashed): a grant covers exactly this query.
    const approval = (): string =>
      shapes.ok
        ? approvalText(
            sql,
            shapes.shapes.map((x) => x.executes),
            this.objects,
            classes,
          )
        : sql;
    const wanted = stillWanted(() => !this.tokenExpired() && !this.discardUntilSync);
    const verdict = this.ctx.gate.check(
      this.request('simple', operations, 'run', { approvalText: approval, closed: () => this.closed || !wanted() }),
    );
    return this.apply(
      verdict,
      (err) => this.refuse(err),
      (f) => this.runQuery(m, sql, classes, f),
      wanted,
    );
  }

  /** Forwards a query whose statements' decisions are on record. */
  private runQuery(m: Message, sql: string, classes: Classification[], f: Forward): void | Promise<void> {
    const runs: StatementRun[] = classes.map((c, i) => ({
      cls: c,
      seq: f.records[i],
      started: this.now(),
      rows: 0,
      masked: 0,
    }));
    const limits = limitsOf(this.maskerOf);
    if (rowCapsActive(limits) && !classes.some((c) => c.copy?.direction === 'from'))
      return this.runCapped(m, sql, runs, limits);
    this.queue.push({ kind: 'query', runs, idx: 0 });
    this.queryChanges(runs, sql);
    this.rowPlan = undefined;
    this.forward(m);
  }

  /**
   * A query under row caps runs alone: once earlier responses are in (so the transaction status is
   * known), an autocommit write is wrapped in the proxy's own BEGIN, and the agent's next messages wait
   * until the outcome is settled (finishCapped).
   */
  private runCapped(m: Message, sql: string, runs: StatementRun[], limits: RuntimeLimits): Promise<void> {
    for (const r of runs) r.cap = newRowCap(r.cls, limits);
    return this.whenIdle().then(
      () =>
        new Promise<void>((release) => {
          if (this.discardUntilSync || this.closed) return release(); // an extended-protocol error came first: skipped, as by the server
          const wrapped = runs.some((r) => writes(r.cls)) && this.txStatus === T('I');
          if (wrapped) this.internal('BEGIN', () => undefined);
          const entry: Pending = { kind: 'query', runs, idx: 0, caps: { wrapped } };
          this.queue.push(entry);
          this.queryChanges(runs, sql);
          this.hold = { entry, release };
          this.rowPlan = undefined;
          this.forward(m);
          this.flush();
        }),
    );
  }

  /** The gate's request for operations of this session. */
  private request(
    protocol: SqlRequest['protocol'],
    operations: SqlOperation[],
    stage: SqlRequest['stage'],
    more: Partial<SqlRequest> = {},
  ): GateRequest {
    return sqlRequest({
      target: this.ctx.target,
      principal: this.ctx.principal,
      audit: this.audit,
      protocol,
      operations,
      stage,
      catalog: this.ctx.catalog(),
      ...(this.reason ? { reason: this.reason } : {}),
      closed: () => this.closed,
      cancelled: () => (this.approvalWait = new AbortController()).signal,
      ...more,
    });
  }

  /** A CancelRequest for this session: ends a statement held for an approval (true); else it is the server's to cancel. */
  cancelHeld(): boolean {
    if (!this.approvalWait) return false;
    this.approvalWait.abort();
    return true;
  }

  /**
   * Applies the gate's verdict: a refusal as an ErrorResponse (which also fails the server's
   * transaction), or the forward. A held operation is applied once decided, if `stillWanted()` then
   * (the token may have expired, or an earlier message of the batch failed, meanwhile).
   */
  private apply(
    v: Verdict,
    refuse: (err: Omit<ErrorFields, 'severity'>) => void,
    forward: (f: Forward) => void | Promise<void>,
    stillWanted: () => boolean,
  ): void | Promise<void> {
    if (v.kind === 'refuse') return refuse(refusalError(v));
    if (v.kind === 'forward') return forward(v);
    const settle = (o: ApprovalOutcome): void | Promise<void> => {
      this.approvalWait = undefined;
      if (!o) return;
      if (o.kind === 'refuse') return refuse(refusalError(o));
      if (!stillWanted()) return;
      this.runtime();
      const admitted = o.admit();
      return admitted.kind === 'refuse' ? refuse(refusalError(admitted)) : forward(admitted);
    };
    return v.approval.then(settle);
  }

  /** FETCH/MOVE read a cursor's query: decided again under the policy in force (sql-cursors.ts). */
  private cursorCheck(c: Classification, local?: LocalCursors): SqlOperation['through'] {
    return (decide, rt) =>
      fetchRefusal(
        c,
        this.objects,
        local,
        rt,
        (q) => this.cursorCheck(q)!(decide, rt) ?? decide(q),
        rt.policy.spec.mode === 'Audit',
      );
  }

  private parse(
    m: Message,
    name: string,
    sql: string,
    shapes: ShapesResult,
    checked?: Map<string, CheckOutcome>,
  ): void | Promise<void> {
    const classes = this.classify(sql, shapes);
    if ('error' in classes) return this.refuseUnparsed(sql, 'extended', classes.error);
    // A FETCH prepared first in its batch (psycopg's cursors: Parse, Bind, Describe, Execute, Sync): a cursor
    // it reads that went stale is checked now, while the server is idle; its Execute, later in the batch,
    // could not ask.
    if (!checked && this.canCheck()) {
      const [stale] = this.staleTracked([{ reads: this.reach.throughFetches(fetchTargets(classes)), creates: [] }]);
      if (stale!.length) return this.checkNames(stale!).then((r) => this.parse(m, name, sql, shapes, r));
    }
    const executes = shapes.ok
      ? executedStatements(
          shapes.shapes.map((s) => s.executes),
          this.objects,
        )
      : undefined;
    const value: Prepared = { sql, classes, ...(executes ? { executes } : {}) };
    if (this.refuseOverHeld(classes[0] ?? emptyClassification(sql), statementBytes(value), 'extended')) return;
    this.runtime();
    // Refused at Parse: the statement never reaches the database, not even to be planned.
    const verdict = this.ctx.gate.check(
      this.request(
        'extended',
        classes.map((c) => {
          // A cursor the check just showed replaced (now forgotten) is refused as replaced, not as unknown.
          const replaced = replacedName(c, checked);
          return { classification: c, through: replaced ? staleRead(replaced, 'replaced') : this.cursorCheck(c) };
        }),
        'prepare',
      ),
    );
    if (verdict.kind === 'refuse') return this.denyExtended(refusalError(verdict));
    const entry: Pending = { kind: 'parse' };
    this.queue.push(entry);
    // The server drops the unnamed statement as a Parse of it starts, even if that Parse then fails.
    this.objects.expect(entry, { ns: 'statement', name, value, dropOnFailure: name === '' });
    // Parse analysis converts the statement's literals and type modifiers: code may run (analysis-code.ts).
    if (classes.some(analysisRunsCode)) this.freshness.ran();
    this.forward(m);
  }

  private execute(
    m: Message,
    portalName: string,
    maxRows: number,
    checked?: Map<string, CheckOutcome>,
  ): void | Promise<void> {
    if (this.tokenExpired()) return;
    const portal = this.objects.portal(portalName);
    if (!portal) {
      if (checked?.get(portalName) !== 'replaced')
        return this.denyExtended({ code: '34000', message: `portal "${portalName}" does not exist` });
      // The server's check showed another object under its name (now forgotten): refused and recorded.
      const classification = emptyClassification(`EXECUTE PORTAL ${JSON.stringify(portalName)}`);
      const decision = replacedCursor(portalName, false);
      return this.refuseOperation('extended', {
        classification,
        refused: { decision, refusal: denial(decision, classification) },
      });
    }
    // Names read after other statements ran (name-freshness.ts): the server is asked, when it is idle.
    const use = executeUse(portal.stmt.classes, portalName, (names) => this.reach.throughFetches(names));
    let [stale] = this.staleTracked([use]);
    const due = this.baselinesDue((n) => use.reads.includes(n) || use.creates.includes(n));
    if (!checked && (stale!.length || due.length) && this.canCheck())
      return this.checkNames(stale!, due).then((r) => this.execute(m, portalName, maxRows, r));
    const changed = changedExecuted(portal.stmt, this.objects);
    if (changed !== undefined)
      return this.denyExtended({
        code: '42501',
        message: `agentgate: prepared statement "${changed}" changed since the statement executing it was parsed; parse it again`,
      });
    this.runtime();
    // Decided again at Execute: the policy may have changed since Parse, and each execution is audited.
    const classes = portal.stmt.classes.length ? portal.stmt.classes : [emptyClassification(portal.stmt.sql)];
    if (this.refuseOverHeld(classes[0]!, createdBytes(classes, undefined, portal.stmt.sql), 'extended')) return;
    // A name the portal reads through (a FETCH's cursor) that the check showed replaced is forgotten, so no
    // longer stale: the read is still of a replaced object.
    const replaced = checked && use.reads.find((n) => n !== portalName && checked.get(n) === 'replaced');
    if (replaced) stale = [replaced, ...stale!];
    const fresh = stale!.length === 0;
    // The proxy's own Describe would run right in front of this Execute, with no check possible after it.
    const describeReplaces = this.ownDescribeWanted(portal, fresh) && this.reach.describeRunsCode(portal.stmt);
    if (this.planWanted(portal, fresh) && this.planMustWait(this.planReserve(portal)))
      return this.whenIdle().then(() => this.execute(m, portalName, maxRows, checked));
    const wanted = stillWanted(() => {
      if (this.tokenExpired() || this.discardUntilSync) return false; // an earlier message of this batch failed: the server skips this Execute
      // What was approved is what runs: the portal must still be the one decided before the wait.
      if (this.objects.portal(portalName) === portal) return true;
      this.denyExtended({
        code: '34000',
        message: `agentgate: portal "${portalName}" changed while its statement awaited approval; nothing was executed`,
      });
      return false;
    });
    const verdict = this.ctx.gate.check(
      this.request(
        'extended',
        classes.map((c, i) => {
          const staleName = i === 0 ? stale![0] : undefined;
          return {
            classification: c,
            through:
              i === 0 && describeReplaces
                ? (_decide, rt) => describeMayReplace(portalName, rt.policy.spec.mode === 'Audit')
                : staleName !== undefined
                  ? staleRead(staleName, checked?.get(staleName))
                  : this.cursorCheck(c),
            kept: true,
          };
        }),
        'run',
        {
          fetchedInParts: maxRows > 0,
          approvalText: () => approvalText(portal.stmt.sql, [...(portal.stmt.executes?.keys() ?? [])], this.objects),
          closed: () => this.closed || !wanted(),
        },
      ),
    );
    return this.apply(
      verdict,
      (err) => this.denyExtended(err),
      (f) => this.runExecute(m, portalName, portal, classes, f, fresh),
      wanted,
    );
  }

  private runExecute(
    m: Message,
    portalName: string,
    portal: Portal,
    classes: Classification[],
    f: Forward,
    fresh: boolean,
  ): void | Promise<void> {
    const run: StatementRun = { cls: classes[0]!, seq: f.records[0], started: this.now(), rows: 0, masked: 0 };
    if (this.ownDescribeWanted(portal, fresh)) {
      this.sendUpstream(describePortal(portalName));
      const reserved = this.planReserve(portal);
      const sentAt = this.sentUpstream;
      const runsCode = this.reach.describeRunsCode(portal.stmt);
      this.describePending({
        kind: 'describe',
        portal: portalName,
        target: portal,
        synthetic: true,
        reserved,
        sentAt,
        runsCode,
      });
    }
    const entry: Pending = { kind: 'execute', run, portal: portalName, target: portal };
    this.queue.push(entry);
    for (const c of portal.stmt.classes) this.trackSessionState(c, entry, () => portal.stmt.sql, portalName);
    this.forward(m);
    const limits = limitsOf(this.maskerOf);
    if (rowCapsActive(limits) && !classes.some((c) => c.copy?.direction === 'from')) {
      // Held until the result is in, so that a cap hit can fail the transaction before the agent's Sync.
      run.cap = portal.cap ??= newRowCap(run.cls, limits);
      this.sendUpstream(FLUSH);
      return new Promise<void>((release) => (this.hold = { entry, release }));
    }
  }

  private functionCall(): void {
    const { classification, decision } = fastPathCall();
    const verdict = this.ctx.gate.check(
      this.request(
        'function-call',
        [{ classification, refused: { decision, refusal: denial(decision, classification) } }],
        'run',
      ),
    );
    if (verdict.kind === 'refuse') this.refuse(refusalError(verdict));
  }

  /**
   * SQL-level PREPARE / DEALLOCATE / DISCARD ALL share the protocol's prepared-statement namespace, and
   * cursors its portal namespace: their changes apply when the statement completes (owner: its run or Execute).
   */
  private trackSessionState(c: Classification, owner: object, source: () => string, portal?: string): void {
    const use = this.reach.statementUse(c, portal);
    this.freshness.ran(use);
    this.baselines.made(use.creates);
    this.deferredErrors.sent(c, this.derived(c));
    if (c.setting?.name === 'agentgate.reason') this.reason = c.setting.value || undefined;
    const changes: StateChange[] = [];
    if (c.prepares !== undefined) changes.push({ ns: 'statement', name: c.prepares, value: preparedBy(c) });
    if (c.deallocates === '*') changes.push({ ns: 'statement' });
    else if (c.deallocates !== undefined) changes.push({ ns: 'statement', name: c.deallocates });
    if (PORTAL_KINDS.has(c.kind)) changes.push({ ns: 'portal' });
    changes.push(...cursorChanges(c, this.maskerOf, source));
    changes.push(...userCodeChanges(c, this.objects, this.ctx.catalog(), runningNames(c, portal)));
    this.objects.expect(owner, ...changes);
  }

  private queryChanges(runs: StatementRun[], sql: string): void {
    this.simpleQueryChanges(runs);
    for (const r of runs) this.trackSessionState(r.cls, r, () => sql);
  }

  /** A simple Query drops the unnamed statement as it starts, and runs its statements in the unnamed portal. */
  private simpleQueryChanges(owner: object): void {
    this.objects.expect(owner, { ns: 'statement', name: '' }, { ns: 'portal', name: '' });
  }

  /** Whether the portal's rows need a masking plan the proxy does not have (made under the policy in force). */
  private needsPlan(portal: Portal): boolean {
    return (!portal.described || portal.planFor !== this.maskerOf) && this.resultMasker.active;
  }

  /**
   * Whether an Execute of the portal needs its columns described first: no plan made under the policy in
   * force, or a stale name (a read Audit mode lets go on: code run since may have put another object under
   * it than the plan was made for).
   */
  private planWanted(portal: Portal, fresh: boolean): boolean {
    return this.needsPlan(portal) || (!fresh && this.resultMasker.active);
  }

  /** What a Describe of the portal reserves for its masking plan (none when nothing is masked). */
  private planReserve(portal: Portal): number {
    return this.resultMasker.active ? this.objects.planReserve(portal) : 0;
  }

  /**
   * A plan that would not fit while another Describe is unanswered waits for the answers (and the plans'
   * real sizes): the session then holds at most one plan over maxPreparedBytes, however many Describes a
   * pipeline carries; past the limit, the Binds that would make more portals are refused.
   */
  private planMustWait(reserved: number): boolean {
    if (this.objects.describesPending() === 0) return false;
    const held = this.objects.heldBytes() + this.objects.reservedPlanBytes();
    return held + reserved > protocolLimits(this.runtime().policy.spec).maxPreparedBytes;
  }

  /** An Execute gets a Describe of the proxy's own in front of it. */
  private ownDescribeWanted(portal: Portal, fresh: boolean): boolean {
    // For a fresh name, the agent's Describe sent just before asks what the proxy's own would (describeSentLast).
    return this.planWanted(portal, fresh) && !(fresh && this.describeSentLast(portal));
  }

  /**
   * Whether the last message sent to the server is a Describe of this portal (libpq sends Bind, Describe,
   * Execute, Sync for every prepared execution). It then asks what a Describe sent now would ask, at the
   * same point: nothing else reaches the server in between (any message may run code: a Parse's domain
   * CHECK, a re-planned statement), its answer comes before the Execute's rows and makes the plan then,
   * under the policy in force when it arrives (the RowDescription adopts it), and if it fails the server
   * skips this Execute too.
   */
  private describeSentLast(portal: Portal): boolean {
    const last = this.queue[this.queue.length - 1];
    return last?.kind === 'describe' && last.target === portal && last.sentAt === this.sentUpstream;
  }

  private describePending(entry: Extract<Pending, { kind: 'describe' }>): void {
    this.queue.push(entry);
    if (entry.reserved) this.objects.reservePlan(entry.reserved);
  }

  /** A portal Describe was answered (with `plan`, or NoData), failed or skipped: its reservation ends. */
  private described(entry: Extract<Pending, { kind: 'describe' }>, plan: RowPlan | undefined, answered: boolean): void {
    if (entry.reserved) this.objects.releasePlan(entry.reserved);
    entry.reserved = 0;
    if (!answered || !entry.target) return;
    entry.target.described = true;
    entry.target.plan = plan;
    entry.target.planFor = this.maskerOf;
    if (this.resultMasker.active) this.objects.planMade(entry.portal ?? '', entry.target, planBytes(plan));
    this.trimPlans();
  }

  /**
   * Past maxPreparedBytes, a portal's plan is kept only while an Execute (or Describe) of it is queued, and
   * made again (a Describe the proxy inserts) before its next Execute: plans cannot pile up past the limit.
   */
  private trimPlans(): void {
    if (this.objects.heldBytes() <= protocolLimits(this.runtime().policy.spec).maxPreparedBytes) return;
    for (const portal of [...this.objects.plannedPortals()]) {
      if (this.queue.some((e) => (e.kind === 'execute' || e.kind === 'describe') && e.target === portal)) continue;
      portal.plan = undefined;
      portal.described = false;
      this.objects.planDropped(portal);
    }
  }

  /** The server answered a queued message (or skipped it after an error): its changes are applied or dropped. */
  private settle(entry: Pending, outcome: Outcome): void {
    if (entry.kind === 'describe') this.described(entry, undefined, false);
    if (entry.kind === 'query') {
      for (const r of entry.runs.slice(entry.idx))
        this.objects.settle(r, outcome === 'confirmed' ? 'skipped' : outcome);
    }
    this.objects.settle(entry.kind === 'query' ? entry.runs : entry, outcome);
  }

  private runtime(): PolicyRuntime {
    const rt = this.ctx.runtime();
    if (rt !== this.maskerOf) {
      this.maskerOf = rt;
      this.resultMasker = new ResultMasker(rt.masker, this.ctx.catalog);
    }
    return rt;
  }

  // ---------------------------------------------------------------- refusals

  /**
   * Simple-protocol refusal. The server is made to fail too (refusal.ts), so an open transaction is
   * aborted there as after any PostgreSQL error; the agent gets the proxy's ErrorResponse and the
   * server's ReadyForQuery, in order with earlier responses.
   */
  private refuse(err: Omit<ErrorFields, 'severity'>): void {
    const entry: Pending = { kind: 'refusal', protocol: 'simple', error: errorResponse({ severity: 'ERROR', ...err }) };
    this.queue.push(entry);
    this.simpleQueryChanges(entry);
    this.sendUpstream(failingQuery());
  }

  /** Extended-protocol refusal: as refuse(), then skip to Sync like PostgreSQL (the server does too). */
  private denyExtended(err: Omit<ErrorFields, 'severity'>): void {
    this.queue.push({ kind: 'refusal', protocol: 'extended', error: errorResponse({ severity: 'ERROR', ...err }) });
    this.sendUpstream(failingParse());
    this.discardUntilSync = true;
  }

  /**
   * A name past 63 bytes whose cut splits a character (Reader.objectName keeps those bytes apart): the proxy
   * could not name it back to the server (its own Describe, its pg_cursors check), so it is refused.
   */
  private refuseCutName(...names: string[]): boolean {
    if (!names.some((n) => n.includes('\0'))) return false;
    this.denyExtended({
      code: '42602',
      message:
        'agentgate: a statement or portal name longer than 63 bytes must not cut a character at byte 63 (PostgreSQL keeps only the first 63 bytes of a name)',
    });
    return true;
  }

  private refuseUnparsed(sql: string, protocol: 'simple' | 'extended', error: string): void {
    const { classification, decision } = unparseable(sql, error);
    const refusal: Refuse = {
      kind: 'refuse',
      code: 'unparseable',
      rule: decision.rule,
      reason: `${decision.message}; nothing was executed`,
    };
    this.refuseOperation(protocol, { classification, refused: { decision, refusal } });
  }

  /** A statement over spec.protocolLimits.maxStatementBytes is refused (54000) before it is parsed. */
  private refuseOversized(sql: string, protocol: 'simple' | 'extended'): boolean {
    const o = oversizedStatement(sql, protocolLimits(this.runtime().policy.spec));
    if (!o) return false;
    const refusal: Refuse = {
      kind: 'refuse',
      code: 'too-large',
      rule: o.decision.rule,
      reason: o.error.message.replace(/^agentgate: /, ''),
    };
    this.refuseOperation(protocol, {
      classification: o.classification,
      refused: { decision: o.decision, refusal, record: { detail: o.detail } },
    });
    return true;
  }

  /** spec.protocolLimits.maxPreparedBytes: what the session's statements, portals and cursors would hold with this one (held-bytes.ts). */
  private refuseOverHeld(c: Classification, bytes: number, protocol: 'simple' | 'extended'): boolean {
    const limit = protocolLimits(this.runtime().policy.spec).maxPreparedBytes;
    const o = overHeld(c, limit, this.objects.heldBytes(), bytes);
    if (!o) return false;
    this.audit.tryAppend({
      event: { action: 'statement.cap-exceeded', outcome: 'failure' },
      message: o.message,
      detail: o.detail,
    });
    this.ctx.events(
      'Warning',
      'RuntimeLimitExceeded',
      `${this.ctx.principal.sub} on ${this.ctx.target.name}: maxPreparedBytes ${limit} exceeded`,
    );
    this.refuseOperation(protocol, o.operation);
    return true;
  }

  /** An operation the parser refused on its own: recorded by the gate, refused in this protocol's terms. */
  private refuseOperation(protocol: 'simple' | 'extended', op: SqlOperation): void {
    const verdict = this.ctx.gate.check(this.request(protocol, [op], 'run'));
    if (verdict.kind !== 'refuse') throw new Error('the gate let a refused operation through');
    if (protocol === 'extended') this.denyExtended(refusalError(verdict));
    else this.refuse(refusalError(verdict));
  }

  private tokenExpired(): boolean {
    if (this.ctx.principal.exp * 1000 > this.now()) return false;
    this.audit.tryAppend({
      event: { action: 'identity.rejected' },
      message: 'token expired during the session; session closed',
    });
    this.toClient.push(
      errorResponse({
        severity: 'FATAL',
        code: '28000',
        message: 'agentgate: your token has expired; reconnect with a fresh token',
      }),
    );
    this.flush();
    this.close('token expired');
    return true;
  }

  // ---------------------------------------------------------------- upstream → proxy → agent

  private onUpstreamData(d: Buffer): void {
    // An answer (the agent's next statement tends to follow it); not a notification to an idle session.
    if (this.queue.length > 0) this.ctx.onTraffic?.();
    try {
      this.upstreamFramer.push(d, (m) => this.onUpstreamMessage(m));
    } catch (e) {
      const big = e instanceof MessageTooLarge;
      this.audit.tryAppend({
        event: { action: 'protocol.error' },
        message: big ? `upstream ${e.message}` : `upstream sent malformed data: ${(e as Error).message}`,
      });
      this.toClient.push(
        errorResponse({
          severity: 'FATAL',
          code: big ? e.sqlState : '08P01',
          message: big
            ? `agentgate: a result ${e.message}; session closed`
            : 'agentgate: the database sent malformed data; session closed',
        }),
      );
      this.flush();
      return this.close('upstream protocol error');
    }
    this.pump();
  }

  private out(m: Message): void {
    pushSegment(this.toClient, m.buf.subarray(m.start, m.end));
  }

  private onUpstreamMessage(m: Message): void {
    if (this.closed) return;
    const front = this.queue[0];
    // The session guard sees every ParameterStatus, whatever the proxy is doing upstream at the time.
    if (m.type === T('S')) this.parameterStatus(m);
    else if (front?.kind === 'internal') this.internalResponse(front, m);
    else if (front?.kind === 'check') this.checkResponse(front, m);
    else if (front?.kind === 'query' && front.caps?.failed && m.type !== T('Z') && m.type !== T('A'))
      this.discardAfterCap(front, m);
    else this.upstreamMessage(m);
    this.settleHold();
  }

  private parameterStatus(m: Message): void {
    const r = onParameterStatus(m, this.invariants, (v) => this.resultMasker.maskText(v));
    if ('violation' in r) return this.invariantViolated(r.violation);
    return r.forward ? pushSegment(this.toClient, r.forward) : this.out(m);
  }

  private upstreamMessage(m: Message): void {
    const front = this.queue[0];
    switch (m.type) {
      case T('D'): {
        const run = front?.kind === 'query' ? front.runs[front.idx] : front?.kind === 'execute' ? front.run : undefined;
        if (run) run.rows++;
        if (run?.cap && !run.cap.row()) return;
        if (this.resultMasker.active) {
          const plan = front?.kind === 'execute' ? front.target.plan : this.rowPlan;
          const r = this.resultMasker.dataRow(m, plan);
          if (r) {
            if (run) run.masked += r.count;
            pushSegment(this.toClient, r.buf);
            return;
          }
        }
        return this.out(m);
      }
      case T('T'): {
        // The plan is made under the policy in force now: one changed since the Describe was sent (a reload
        // while the server was slow to answer) is adopted before, not after, the plan is made for its rows.
        this.runtime();
        const cls =
          front?.kind === 'describe'
            ? lineageUnknownIf(front.runsCode === true, mergePrepared(front.target?.stmt))
            : this.currentRun()?.cls;
        const plan = this.resultMasker.active
          ? this.resultMasker.plan(
              withoutOriginsIf(front?.kind === 'describe' && front.runsCode === true, parseRowDescription(m)),
              this.derived(cls),
            )
          : undefined;
        const notice =
          plan && !(front?.kind === 'describe' && front.synthetic) && this.resultMasker.uninspectableNotice(plan);
        if (notice) pushSegment(this.toClient, notice);
        if (front?.kind === 'describe') {
          this.queue.shift();
          this.described(front, plan, true);
          if (!front.synthetic) this.out(m);
        } else {
          this.rowPlan = plan;
          this.out(m);
        }
        return this.drainSynthetic();
      }
      case T('n'):
        if (front?.kind === 'describe') {
          this.queue.shift();
          this.described(front, undefined, true);
          if (!front.synthetic) this.out(m);
          return this.drainSynthetic();
        }
        return this.out(m);
      case T('t'):
        if (front?.kind === 'describe' && front.synthetic) return;
        return this.out(m);
      case T('1'):
      case T('2'):
      case T('3'):
        if (front && (front.kind === 'parse' || front.kind === 'bind' || front.kind === 'close')) {
          this.queue.shift();
          this.objects.settle(front, 'confirmed');
        }
        this.out(m);
        return this.drainSynthetic();
      case T('C'):
      case T('I'):
      case T('s'): {
        this.copyIn = false;
        this.copyOut = undefined;
        const tag = m.type === T('C') ? commandTag(m) : { tag: m.type === T('I') ? 'EMPTY' : 'SUSPENDED' };
        if (front?.kind === 'query') {
          const run = front.runs[front.idx++];
          this.rowPlan = undefined;
          if (run && m.type === T('C')) this.objects.settle(run, 'confirmed');
          const hit = run?.cap?.complete(tag);
          if (run && hit) return this.capExceeded(run, hit, front.caps);
          if (run) this.complete(run, tag);
          if (front.caps?.wrapped && run && writes(run.cls)) {
            front.caps.tag = Buffer.from(m.buf.subarray(m.start, m.end)); // sent once the proxy's COMMIT succeeded
            return;
          }
        } else if (front?.kind === 'execute') {
          this.queue.shift();
          this.objects.settle(front, m.type === T('C') ? 'confirmed' : 'skipped');
          this.trimPlans();
          const hit = front.run.cap?.complete(tag);
          if (hit) return this.capExceeded(front.run, hit);
          this.complete(front.run, tag);
        }
        this.out(m);
        return this.drainSynthetic();
      }
      case T('E'): {
        this.objects.errorSeen();
        this.copyIn = false;
        this.copyOut = undefined;
        const bindMask = front?.kind === 'bind' && this.maskerOf.masker.hasColumnRules ? BIND_ERRORS_MASK : undefined;
        const masked = this.resultMasker.errorNotice(
          m,
          this.derived(this.currentRun()?.cls) ?? bindMask ?? this.deferredMask(),
        );
        let err: { code?: string; message: string } = { message: 'error' };
        try {
          const e = parseErrorNotice(m);
          const shown = masked
            ? parseErrorNotice({ type: m.type, buf: masked.buf, start: 0, end: masked.buf.length })
            : e;
          err = { ...(e.code ? { code: e.code } : {}), message: this.resultMasker.maskText(shown.message ?? '').text };
        } catch {
          /* forwarded as is */
        }
        const seconds = limitsOf(this.maskerOf)?.maxStatementSeconds;
        if (seconds !== undefined && isStatementTimeout(err.code, err.message)) {
          this.audit.tryAppend({
            event: { action: 'statement.cap-exceeded', outcome: 'failure' },
            message: `statement ran past maxStatementSeconds ${seconds}; the database cancelled it`,
            detail: { limit: 'maxStatementSeconds', cap: seconds },
          });
        }
        if (front?.kind === 'query') {
          const run = front.runs[front.idx++];
          if (run) this.objects.settle(run, 'failed');
          if (run) this.complete(run, { tag: 'ERROR' }, err);
        } else if (
          front &&
          front.kind !== 'sync' &&
          front.kind !== 'synthetic' &&
          !(front.kind === 'refusal' && front.protocol === 'simple')
        ) {
          // PostgreSQL skips everything up to Sync after an error in the extended protocol.
          if (front.kind === 'execute') this.complete(front.run, { tag: 'ERROR' }, err);
          this.settle(front, 'failed');
          while (this.queue.length && this.queue[0]!.kind !== 'sync') {
            const skipped = this.queue.shift()!;
            if (skipped !== front) this.settle(skipped, 'skipped');
            if (skipped.kind === 'execute' && skipped !== front)
              this.complete(
                skipped.run,
                { tag: 'SKIPPED' },
                { message: 'not executed: an earlier message in the pipeline failed' },
              );
          }
          // The server now ignores messages up to the agent's Sync; so does the proxy if that Sync is still to come.
          this.discardUntilSync = this.queue.length === 0;
          this.trimPlans();
        }
        if (front?.kind === 'refusal') pushSegment(this.toClient, front.error);
        else if (masked) pushSegment(this.toClient, masked.buf);
        else this.out(m);
        return;
      }
      case T('N'):
      case T('A'): {
        const masked =
          m.type === T('N')
            ? this.resultMasker.errorNotice(m, this.derived(this.currentRun()?.cls) ?? this.deferredMask())
            : this.resultMasker.notification(m);
        if (masked) pushSegment(this.toClient, masked.buf);
        else this.out(m);
        return;
      }
      case T('Z'): {
        this.txStatus = m.buf[m.start + 5] ?? this.txStatus;
        if (front?.kind === 'query' || front?.kind === 'refusal') this.settle(front, 'confirmed');
        if (this.txStatus === T('I')) this.transactionEnded();
        if (front?.kind === 'query') {
          for (let i = front.idx; i < front.runs.length; i++)
            this.complete(
              front.runs[i]!,
              { tag: 'SKIPPED' },
              { message: 'not executed: an earlier statement in the query failed' },
            );
          this.queue.shift();
          if (front.caps && this.finishCapped(front.caps, this.txStatus)) return;
        } else if (front?.kind === 'sync' || front?.kind === 'refusal') this.queue.shift();
        // Nothing the agent sent after this Sync or Query has gone upstream (pump waits): a check may be sent.
        if (this.queue.length === 0) this.extendedSinceReady = false;
        this.out(m);
        return this.drainSynthetic();
      }
      case T('G'):
        this.copyIn = true;
        return this.out(m);
      case T('H'): {
        const run = front?.kind === 'query' ? front.runs[front.idx] : front?.kind === 'execute' ? front.run : undefined;
        const copy = run?.cls.copy;
        this.copyOut = {
          ...(run ? { run } : {}),
          ...(copy ? { plan: this.resultMasker.copyPlan(copy, this.derived(run?.cls)) } : {}),
        } as { run?: StatementRun; plan?: RowPlan };
        return this.out(m);
      }
      case T('c'):
        if (this.copyOut?.run?.cap?.hit) return; // the cap error ends this COPY instead
        return this.out(m);
      case T('d'): {
        if (this.copyOut?.run?.cap && !this.copyOut.run.cap.row()) return;
        const copy = this.copyOut?.run?.cls.copy;
        if (this.copyOut && copy && this.resultMasker.active && copy.format !== 'binary') {
          if (this.copyOut.run) this.copyOut.run.rows++;
          const r = this.resultMasker.copyRow(m, copy, this.copyOut.plan);
          if (r) {
            if (this.copyOut.run) this.copyOut.run.masked += r.count;
            pushSegment(this.toClient, r.buf);
            return;
          }
        }
        return this.out(m);
      }
      default:
        return this.out(m);
    }
  }

  // ---------------------------------------------------------------- runtime caps (runtime-caps.ts)

  /** A statement exceeded a row cap: the agent gets the cap error instead of its result, and the server's transaction fails. */
  private capExceeded(run: StatementRun, hit: CapHit, query?: QueryCaps): void {
    const err = capError(hit);
    this.audit.tryAppend({
      event: { action: 'statement.cap-exceeded', outcome: 'failure' },
      decisionSeq: run.seq,
      message: err.message,
      detail: { limit: hit.limit, cap: hit.cap, count: hit.count },
    });
    this.ctx.events(
      'Warning',
      'RuntimeLimitExceeded',
      `${this.ctx.principal.sub} on ${this.ctx.target.name}: ${hit.limit} ${hit.cap} exceeded`,
    );
    this.complete(run, { tag: 'ERROR' }, { code: err.code, message: err.message });
    const error = errorResponse({ severity: 'ERROR', ...err });
    if (query) {
      // The rest of the query is discarded; at its ReadyForQuery the proxy settles the transaction (finishCapped).
      query.failed = error;
      return;
    }
    // Extended protocol: the agent's Sync is held back, so the failure lands in the same transaction.
    this.queue.push({ kind: 'refusal', protocol: 'extended', error });
    this.sendUpstream(failingParse());
    this.discardUntilSync = true;
  }

  /** After a capped query's ReadyForQuery: true when the proxy sends the agent's ReadyForQuery itself. */
  private finishCapped(caps: QueryCaps, status: number): boolean {
    if (caps.wrapped) {
      const commit = !caps.failed && status === T('T');
      this.internal(commit ? 'COMMIT' : 'ROLLBACK', (final, error) => {
        const result = caps.failed ?? (commit ? (error ?? caps.tag) : undefined);
        if (result) pushSegment(this.toClient, result);
        pushSegment(this.toClient, readyForQuery(final));
      });
      return true;
    }
    if (caps.failed) {
      // Inside the agent's transaction the error must abort it, as any PostgreSQL error does.
      this.queue.push({ kind: 'refusal', protocol: 'simple', error: caps.failed });
      this.sendUpstream(failingQuery());
      return true;
    }
    return false;
  }

  /** Output of a capped query after its cap error: audited, never forwarded. */
  private discardAfterCap(front: { runs: StatementRun[]; idx: number }, m: Message): void {
    if (m.type === T('C') || m.type === T('I')) {
      const run = front.runs[front.idx++];
      if (run && m.type === T('C')) this.objects.settle(run, 'confirmed');
      if (run)
        this.complete(run, m.type === T('C') ? commandTag(m) : { tag: 'EMPTY' }, {
          message: 'ran after a statement of the same query exceeded a runtime limit; its output was discarded',
        });
    } else if (m.type === T('E')) {
      const run = front.runs[front.idx++];
      if (run) this.objects.settle(run, 'failed');
      if (run)
        this.complete(
          run,
          { tag: 'ERROR' },
          { message: 'failed after a statement of the same query exceeded a runtime limit' },
        );
    }
  }

  private internal(sql: string, then: (status: number, error?: Buffer) => void): void {
    const entry: Pending = { kind: 'internal', then };
    this.queue.push(entry);
    this.freshness.ran(); // a COMMIT runs deferred triggers
    this.simpleQueryChanges(entry);
    this.objects.expect(entry, {
      ns: 'transaction',
      op: { op: sql === 'BEGIN' ? 'begin' : sql === 'COMMIT' ? 'commit' : 'rollback' },
    });
    this.sendUpstream(queryMessage(sql));
  }

  private internalResponse(
    front: { error?: Buffer; then: (status: number, error?: Buffer) => void },
    m: Message,
  ): void {
    if (m.type === T('E')) {
      this.objects.errorSeen();
      front.error = Buffer.from(this.resultMasker.errorNotice(m)?.buf ?? m.buf.subarray(m.start, m.end));
    } else if (m.type === T('Z')) {
      this.queue.shift();
      this.txStatus = m.buf[m.start + 5] ?? this.txStatus;
      this.objects.settle(front, 'confirmed');
      if (this.txStatus === T('I')) this.transactionEnded();
      front.then(this.txStatus, front.error);
    } else if (m.type === T('A')) {
      const masked = this.resultMasker.notification(m);
      if (masked) pushSegment(this.toClient, masked.buf);
      else this.out(m);
    } else if (m.type === T('S')) this.out(m);
  }

  /** The names among `uses`' stale reads that the proxy tracks (others are refused as unknown anyway). */
  private staleTracked(uses: Parameters<NameFreshness['staleReads']>[0]): string[][] {
    return this.freshness
      .staleReads(uses)
      .map((names) => (names.length ? names.filter((n) => this.objects.holds(n)) : names));
  }

  /** The server is at a ReadyForQuery boundary with nothing in flight: the proxy may ask it something. */
  private canCheck(): boolean {
    return (
      this.queue.length === 0 && !this.extendedSinceReady && !this.copyIn && !this.discardUntilSync && !this.closed
    );
  }

  /** Names made and not yet recorded (name-baselines.ts) that a statement touching only `touches` would leave so. */
  private baselinesDue(touches: (name: string) => boolean): string[] {
    return this.baselines.due(touches).filter((n) => this.objects.holds(n));
  }

  /**
   * Asks the server what it holds under stale names (server-cursor-check.ts) and under `due` ones (fresh,
   * their creation time recorded now, name-baselines.ts). A stale name holding what the proxy knows is fresh
   * again; one holding something else is forgotten (its reads are refused); one never recorded cannot be told
   * from the same text opened again (unchecked, but for the unnamed portal, which server code cannot open).
   */
  private checkNames(names: string[], due: string[] = []): Promise<Map<string, CheckOutcome>> {
    const asked = [...new Set([...names, ...due])];
    const entry: Extract<Pending, { kind: 'check' }> = { kind: 'check', rows: [], failed: false, done: () => {} };
    const answered = new Promise<void>((resolve) => (entry.done = resolve));
    this.queue.push(entry);
    this.sendUpstream(checkMessage(asked, this.checkId));
    this.flush(); // this may run after the pump flushed (a catalog load came first)
    const aborted = this.txStatus === T('E');
    return answered.then(() => {
      const out = new Map<string, CheckOutcome>();
      if (entry.failed) {
        // Nothing recorded: these names can no longer be told from the same text opened again.
        this.baselines.lose(asked);
        for (const name of asked) out.set(name, 'unchecked');
        // It aborted the agent's transaction (its statement_timeout, say): the agent is told why, once.
        if (!aborted && this.txStatus === T('E'))
          pushSegment(
            this.toClient,
            errorResponse(
              {
                severity: 'WARNING',
                code: '01000',
                message: `agentgate: its check of this session's portal and cursor names failed (${entry.error ?? 'an error'}); the transaction is aborted`,
              },
              'N',
            ),
          );
        return out;
      }
      for (const name of asked) {
        const t = this.objects.tracked(name);
        if (!t) {
          out.set(name, 'unchecked');
          continue;
        }
        const createdAt = this.baselines.of(t.object);
        const row = sameObject(name, { ...t.known, ...(createdAt !== undefined ? { createdAt } : {}) }, entry.rows);
        if (!row) {
          this.objects.replaced(name);
          this.baselines.forget(name);
          out.set(name, 'replaced');
          continue;
        }
        if (createdAt === undefined && this.baselines.isLost(name)) {
          out.set(name, 'unchecked');
          continue;
        }
        // The first check after the batch that made it records when the server made it (name-baselines.ts).
        if (createdAt === undefined) this.baselines.record(name, t.object, row.createdAt);
        if (!due.includes(name)) this.freshness.known(name);
        out.set(name, 'same');
      }
      return out;
    });
  }

  private checkResponse(front: Extract<Pending, { kind: 'check' }>, m: Message): void {
    if (m.type === T('D')) front.rows.push(serverCursor(m));
    else if (m.type === T('E')) {
      front.failed = true;
      front.error ??= parseErrorNotice(m).message;
      this.objects.errorSeen();
    } else if (m.type === T('A')) {
      const masked = this.resultMasker.notification(m);
      if (masked) pushSegment(this.toClient, masked.buf);
      else this.out(m);
    } else if (m.type === T('Z')) {
      this.queue.shift();
      this.txStatus = m.buf[m.start + 5] ?? this.txStatus;
      if (this.txStatus === T('I')) this.transactionEnded();
      front.done();
    }
    // ParseComplete, BindComplete, CommandComplete, CloseComplete, notices: the proxy's own, not the agent's.
  }

  private whenIdle(): Promise<void> {
    if (this.queue.length === 0) return Promise.resolve();
    this.sendUpstream(FLUSH); // pending Parse/Bind answers come without waiting for a Sync
    this.flush();
    return new Promise((resolve) => (this.idleWaiter = resolve));
  }

  private settleHold(): void {
    if (this.idleWaiter && this.queue.length === 0) {
      const w = this.idleWaiter;
      this.idleWaiter = undefined;
      w();
    }
    if (this.hold && !this.queue.includes(this.hold.entry) && !this.queue.some((p) => p.kind === 'internal')) {
      const h = this.hold;
      this.hold = undefined;
      h.release();
    }
  }

  /** maxStatementSeconds backstop: a CancelRequest when the statement in flight outlives the limit by a second. */
  private watchStatementTime(): void {
    const seconds = limitsOf(this.maskerOf)?.maxStatementSeconds;
    const entry =
      seconds === undefined ? undefined : this.queue.find((p) => p.kind === 'query' || p.kind === 'execute');
    const idx = entry?.kind === 'query' ? entry.idx : 0;
    if (this.timed?.entry === entry && this.timed?.idx === idx) return;
    if (this.timed) clearTimeout(this.timed.timer);
    this.timed = undefined;
    if (!entry || seconds === undefined || this.closed) return;
    const started = this.now();
    const timer = setTimeout(
      () => {
        this.timed = undefined;
        if (this.closed || !this.queue.includes(entry)) return;
        const run = entry.kind === 'query' ? entry.runs[entry.idx] : entry.kind === 'execute' ? entry.run : undefined;
        this.audit.tryAppend({
          event: { action: 'statement.cap-exceeded', outcome: 'failure' },
          ...(run?.seq !== undefined ? { decisionSeq: run.seq } : {}),
          message: `statement ran past maxStatementSeconds ${seconds}; the proxy cancelled it`,
          detail: { limit: 'maxStatementSeconds', cap: seconds, count: Math.round((this.now() - started) / 1000) },
        });
        this.ctx.events(
          'Warning',
          'RuntimeLimitExceeded',
          `${this.ctx.principal.sub} on ${this.ctx.target.name}: maxStatementSeconds ${seconds} exceeded`,
        );
        this.ctx.cancelUpstream?.();
      },
      seconds * 1000 + 1000,
    );
    timer.unref();
    this.timed = { entry, idx, timer };
  }

  /** The statement whose responses are arriving now. */
  private currentRun(): StatementRun | undefined {
    const front = this.queue[0];
    return front?.kind === 'query' ? front.runs[front.idx] : front?.kind === 'execute' ? front.run : undefined;
  }

  /** The column-rule mask for a statement's outputs and errors that the server cannot trace to a table column. */
  private derived(c: Classification | undefined): DerivedMask | undefined {
    if (!c || !this.maskerOf.masker.hasColumnRules) return undefined;
    return this.derivedMasks.of(c, this.maskerOf.masker, this.ctx.catalog());
  }

  private transactionEnded(): void {
    this.objects.transactionEnded();
    this.deferredErrors.transactionEnded();
  }

  /** Errors of work deferred to a transaction's end: raised by COMMIT and the like, or at Sync / after a Query's last statement. */
  private deferredMask(): DerivedMask | undefined {
    const front = this.queue[0];
    if (front?.kind !== 'query' && front?.kind !== 'execute' && front?.kind !== 'sync') return undefined;
    return this.deferredErrors.mask(this.maskerOf.masker.hasColumnRules, this.currentRun()?.cls);
  }

  /** Emits proxy-made responses that have reached the front of the queue. */
  private drainSynthetic(): void {
    while (this.queue[0]?.kind === 'synthetic') {
      const s = this.queue.shift() as { kind: 'synthetic'; emit: () => Buffer[] };
      for (const b of s.emit()) pushSegment(this.toClient, b);
    }
  }

  private complete(
    run: StatementRun,
    tag: { tag: string; rows?: number },
    error?: { code?: string; message: string },
  ): void {
    if (run.seq === undefined) return;
    const rows = tag.rows ?? run.rows;
    this.audit.defer({
      // ECS event.duration is in nanoseconds.
      event: {
        action: 'statement.completion',
        outcome: error ? 'failure' : 'success',
        duration: Math.round(Math.max(0, this.now() - run.started) * 1e6),
      },
      decisionSeq: run.seq,
      db: { operation: { name: tag.tag }, response: { returned_rows: rows } },
      maskedValues: run.masked,
      ...(error ? { error } : {}),
    });
    if (!error && run.cls.effects.some((e) => DDL_LIKE.has(e))) this.ctx.onSchemaChange?.();
  }

  // ---------------------------------------------------------------- audit, output, teardown

  private base(): Pick<AuditFields, 'session' | 'connection' | 'principal' | 'target'> {
    const p = this.ctx.principal;
    return {
      session: { id: this.ctx.sessionId },
      connection: this.ctx.connectionId,
      principal: principalRecord(p),
      target: this.ctx.target.name,
    };
  }

  private flush(): void {
    this.watchStatementTime();
    if (this.toUpstream.length && !this.upstream.destroyed) {
      const segs = this.toUpstream;
      this.toUpstream = [];
      if (!writeAll(this.upstream, segs)) this.client.pause();
    }
    if (this.toClient.length && !this.client.destroyed) {
      const segs = this.toClient;
      this.toClient = [];
      if (!writeAll(this.client, segs)) this.upstream.pause();
    }
  }

  private protocolViolation(e: Error): void {
    const message = e instanceof ProtocolError ? e.message : `internal error: ${e.message}`;
    this.audit.tryAppend({ event: { action: 'protocol.error' }, message });
    this.toClient.push(
      errorResponse({
        severity: 'FATAL',
        code: e instanceof ProtocolError ? e.sqlState : 'XX000',
        message: `agentgate: ${message}`,
      }),
    );
    this.flush();
    this.close(`protocol violation: ${message}`);
  }

  /** A pinned setting moved: drop everything queued, cut the upstream (rolling back), tell the agent. */
  private invariantViolated(v: InvariantViolation): void {
    const message = violationMessage(v, (t) => this.resultMasker.maskText(t));
    this.inbox.length = 0;
    this.toUpstream = [];
    this.upstream.destroy();
    this.audit.tryAppend({
      event: { action: 'session.invariant-violated', outcome: 'failure' },
      message,
      detail: { setting: v.setting, expected: v.expected },
    });
    this.ctx.events(
      'Warning',
      'SessionInvariantViolated',
      `${this.ctx.principal.sub} on ${this.ctx.target.name}: ${v.setting} changed; session closed`,
    );
    this.toClient.push(errorResponse({ severity: 'FATAL', code: '42501', message }));
    this.flush();
    this.close(`session invariant violated: ${v.setting} changed`);
  }

  private upstreamLost(): void {
    if (this.closed) return;
    this.audit.tryAppend({ event: { action: 'protocol.error' }, message: 'upstream connection lost' });
    this.toClient.push(
      errorResponse({
        severity: 'FATAL',
        code: '08006',
        message: 'agentgate: the connection to the database was lost',
      }),
    );
    this.flush();
    this.close('upstream connection lost');
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.disarmExpiry?.();
    if (this.timed) clearTimeout(this.timed.timer);
    for (const p of this.queue) {
      if (p.kind === 'execute')
        this.complete(p.run, { tag: 'ABORTED' }, { message: `connection closed before completion (${reason})` });
      if (p.kind === 'query')
        for (let i = p.idx; i < p.runs.length; i++)
          this.complete(p.runs[i]!, { tag: 'ABORTED' }, { message: `connection closed before completion (${reason})` });
    }
    this.queue.length = 0;
    this.audit.tryAppend({ event: { action: 'connection.close' }, message: reason });
    endWithin([this.client, this.upstream], 1000);
    this.ctx.onClose?.();
  }
}

/**
 * Ends the sockets; those their peers have not closed within `graceMs` are destroyed. The timer holds the
 * sockets only and is cleared once both have closed, so a closed session is not kept alive by it.
 */
function endWithin(sockets: Socket[], graceMs: number): void {
  const open = sockets.filter((s) => !s.closed);
  if (open.length === 0) return;
  const force = setTimeout(() => open.forEach((s) => s.destroy()), graceMs).unref();
  let left = open.length;
  for (const s of open) {
    s.once('close', () => --left === 0 && clearTimeout(force));
    s.end();
  }
}

function bodyDone(m: Message, sql: string): void {
  // Query is one string: PostgreSQL refuses bytes after its terminator, and so does the proxy.
  if (m.start + 5 + Buffer.byteLength(sql) + 1 !== m.end)
    throw new ProtocolError('malformed Query message: bytes after the query string');
}

/** What an Execute of `portal` does to names: it reads the portal, and what its statements read or declare. */
function executeUse(
  classes: readonly Classification[],
  portal: string,
  throughFetches: (names: readonly string[]) => string[],
): NameUse {
  if (classes.every((c) => c.cursor === undefined)) return { reads: [portal], creates: [] };
  const reads = new Set([portal]);
  const creates: string[] = [];
  for (const c of classes) {
    const u = nameUse(c);
    for (const n of throughFetches(u.reads)) reads.add(n);
    creates.push(...u.creates);
  }
  return { reads: [...reads], creates };
}

/**
 * The columns with no table origin. When describing a portal ran code that replaced it, PostgreSQL takes the
 * names and types from the new portal but the origins from the old statement's target list.
 */
function withoutOriginsIf(unknown: boolean, cols: Column[]): Column[] {
  return unknown ? cols.map((c) => ({ ...c, tableOid: 0, attnum: 0 })) : cols;
}

/**
 * The classification with its outputs' lineage unknown: columns the server traces to no table are masked
 * wherever a column rule applies (a portal replaced while described runs another query than its statement).
 */
function lineageUnknownIf(unknown: boolean, c: Classification | undefined): Classification | undefined {
  if (!unknown || !c) return c;
  return { ...c, reads: { names: [], wholeRow: true, ...c.reads, opaque: true } };
}

/** A cursor or transaction statement: its Bind plans nothing (the cursor's query is planned at Execute). */
const plannedNothing = (c: Classification): boolean => c.cursor !== undefined || c.transaction !== undefined;

/** A name a FETCH reads that the server's check showed replaced (now forgotten, so not stale). */
function replacedName(c: Classification, checked: Map<string, CheckOutcome> | undefined): string | undefined {
  const name = c.cursor?.op === 'fetch' ? (c.cursor.name ?? '') : undefined;
  return name !== undefined && checked?.get(name) === 'replaced' ? name : undefined;
}

function mergePrepared(p: Prepared | undefined): Classification | undefined {
  if (!p) return undefined;
  if (p.classes.length === 1) return p.classes[0];
  const c = emptyClassification(p.sql);
  for (const x of p.classes) {
    c.effects = [...new Set([...c.effects, ...x.effects])];
    c.tables.push(...x.tables);
    c.functions.push(...x.functions);
    c.unboundedWrite ||= x.unboundedWrite;
    c.liftsReadOnly ||= x.liftsReadOnly;
    c.reasons.push(...x.reasons);
    if (x.settings) c.settings = [...new Set([...(c.settings ?? []), ...x.settings])];
    if (x.nestedWrites) c.nestedWrites = true;
    c.reads = mergeReads(c.reads, x.reads);
  }
  return c;
}

/** Appends a slice, merging it with the previous one when they are adjacent in the same buffer. */
function pushSegment(segs: Buffer[], b: Buffer): void {
  const last = segs[segs.length - 1];
  if (last && last.buffer === b.buffer && last.byteOffset + last.length === b.byteOffset) {
    segs[segs.length - 1] = Buffer.from(last.buffer, last.byteOffset, last.length + b.length);
  } else segs.push(b);
}

function writeAll(s: Socket, segs: Buffer[]): boolean {
  if (segs.length === 1) return s.write(segs[0]!);
  return s.write(Buffer.concat(segs));
}
