/**
 * One agent session on the Postgres data path, after authentication: every frontend message is
 * framed, every statement classified and decided (simple and extended protocol alike), the decision
 * audited before anything is forwarded, and results masked on the way back.
 *
 * Responses are matched to requests with a queue (the protocol answers in order). Denials the proxy
 * produces itself are queued as "synthetic" entries, so they reach the agent in protocol order; in
 * the extended protocol a denial also discards messages until Sync, as PostgreSQL does after an error.
 */
import type { Socket } from 'node:net';
import type { AuditLog } from '../audit/audit-log.js';
import { createHash } from 'node:crypto';
import type { ApprovalBroker } from '../approvals/broker.js';
import type { AppendedRecord, ScopedAudit } from '../audit/audit-log.js';
import type { AuditFields } from '../audit/record.js';
import { principalRecord, type Principal } from '../identity/verify.js';
import type { ProxyMetrics } from '../observability/metrics.js';
import type { Decision } from '../policy/decide.js';
import type { PolicyRuntime } from '../policy/runtime.js';
import type { TargetSpec } from '../policy/types.js';
import type { Catalog } from '../sql/catalog.js';
import type { ShapesResult, StatementClassifier } from '../sql/classifier.js';
import { resolveShape } from '../sql/resolve.js';
import type { Classification } from '../sql/types.js';
import {
  bodyReader, commandTag, describePortal, errorResponse, Framer, parseErrorNotice, parseRowDescription, ProtocolError,
  readyForQuery, type ErrorFields, type Message,
} from './protocol.js';
import { ResultMasker, type ColumnNames, type RowPlan } from './result-masker.js';

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
  /** Approval requests and grants (cluster mode); without it RequireApproval is a denial. */
  approvals?: ApprovalBroker;
  /** Kubernetes Events (cluster mode), de-duplicated and rate-limited by the recorder. */
  events?: (type: 'Normal' | 'Warning', reason: string, message: string) => void;
  metrics?: ProxyMetrics;
  /** Called after a statement that may have changed the catalog completed. */
  onSchemaChange?: () => void;
  onClose?: () => void;
}

interface StatementRun {
  cls: Classification;
  seq?: number;
  started: number;
  rows: number;
  masked: number;
}

interface Prepared {
  sql: string;
  classes: Classification[];
}

interface Portal {
  stmt: Prepared;
  described: boolean;
  plan?: RowPlan;
}

type Pending =
  | { kind: 'query'; runs: StatementRun[]; idx: number }
  | { kind: 'parse' | 'bind' | 'close' | 'sync' | 'flush' }
  | { kind: 'describe'; portal?: string; synthetic: boolean }
  | { kind: 'execute'; run: StatementRun; portal: string }
  | { kind: 'synthetic'; emit: () => Buffer[] };

const T = (c: string): number => c.charCodeAt(0);
const DDL_LIKE = new Set(['ddl', 'privilege', 'admin', 'unknown']);

export class PgSession {
  private readonly clientFramer = new Framer();
  private readonly upstreamFramer = new Framer();
  private readonly queue: Pending[] = [];
  private readonly prepared = new Map<string, Prepared>();
  private readonly portals = new Map<string, Portal>();
  private readonly inbox: Message[] = [];
  private toUpstream: Buffer[] = [];
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

  constructor(private readonly client: Socket, private readonly upstream: Socket, private readonly ctx: SessionContext, initialStatus: number) {
    this.txStatus = initialStatus;
    this.now = ctx.now ?? Date.now;
    this.maskerOf = ctx.runtime();
    this.resultMasker = new ResultMasker(this.maskerOf.masker, ctx.catalog);
    this.audit = ctx.audit.scope(this.base());
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
  }

  // ---------------------------------------------------------------- frontend → proxy → upstream

  private onClientData(d: Buffer): void {
    try {
      this.clientFramer.push(d, (m) => this.inbox.push(m));
    } catch (e) {
      return this.protocolViolation(e as Error);
    }
    this.pump();
  }

  private pump(): void {
    while (!this.busy && this.inbox.length > 0 && !this.closed) {
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

  private forward(m: Message): void {
    pushSegment(this.toUpstream, m.buf.subarray(m.start, m.end));
  }

  private onClientMessage(m: Message): void | Promise<void> {
    const type = m.type;
    if (this.discardUntilSync && type !== T('S') && type !== T('X')) return;
    switch (type) {
      case T('Q'): {
        const sql = bodyReader(m, 'Query').cstring();
        bodyDone(m, sql);
        return this.withShapes(sql, (shapes) => this.simpleQuery(m, sql, shapes));
      }
      case T('P'): {
        const r = bodyReader(m, 'Parse');
        const name = r.cstring();
        const sql = r.cstring();
        const n = r.int16();
        for (let i = 0; i < n; i++) r.int32();
        r.done();
        return this.withShapes(sql, (shapes) => this.parse(m, name, sql, shapes));
      }
      case T('B'): {
        const r = bodyReader(m, 'Bind');
        const portal = r.cstring();
        const stmtName = r.cstring();
        const stmt = this.prepared.get(stmtName);
        if (!stmt) return this.denyExtended({ code: '26000', message: `prepared statement "${stmtName}" does not exist (or was refused by agentgate)` });
        this.portals.set(portal, { stmt, described: false });
        this.queue.push({ kind: 'bind' });
        return this.forward(m);
      }
      case T('D'): {
        const r = bodyReader(m, 'Describe');
        const what = r.byte();
        const name = r.cstring();
        r.done();
        if (what === T('P') && !this.portals.has(name)) return this.denyExtended({ code: '34000', message: `portal "${name}" does not exist` });
        this.queue.push({ kind: 'describe', synthetic: false, ...(what === T('P') ? { portal: name } : {}) });
        return this.forward(m);
      }
      case T('E'): {
        const r = bodyReader(m, 'Execute');
        const name = r.cstring();
        r.int32();
        r.done();
        return this.execute(m, name);
      }
      case T('C'): {
        const r = bodyReader(m, 'Close');
        const what = r.byte();
        const name = r.cstring();
        r.done();
        if (what === T('S')) this.prepared.delete(name);
        else this.portals.delete(name);
        this.queue.push({ kind: 'close' });
        return this.forward(m);
      }
      case T('S'):
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

  private withShapes(sql: string, then: (r: ShapesResult) => void): void | Promise<void> {
    if (this.tokenExpired()) return;
    const r = this.ctx.classifier.shapes(sql);
    return r instanceof Promise ? r.then(then) : then(r);
  }

  private classify(sql: string, r: ShapesResult): Classification[] | { error: string } {
    if (!r.ok) return { error: r.error };
    const catalog = this.ctx.catalog();
    const lookup = { get: (name: string) => mergePrepared(this.prepared.get(name)) };
    return r.shapes.map((s) => resolveShape(s, sql, catalog, lookup));
  }

  private simpleQuery(m: Message, sql: string, shapes: ShapesResult): void | Promise<void> {
    const classes = this.classify(sql, shapes);
    if ('error' in classes) return this.refuseUnparsed(sql, 'simple', classes.error, false);
    const rt = this.runtime();
    const decisions = classes.map((c) => this.decide(rt, c));
    const blockedAt = decisions.findIndex((d) => d.blocked && !this.approvable(d));
    const approvalAt = blockedAt >= 0 ? -1 : decisions.findIndex((d) => this.approvable(d));
    if (approvalAt >= 0) {
      // The whole query text is what gets approved (and hashed): a grant covers exactly this query.
      return this.approve(sql, classes[approvalAt]!, decisions[approvalAt]!, 'simple', (grant) => this.runQuery(m, classes, decisions, -1, grant), (err) => this.refuse(err));
    }
    this.runQuery(m, classes, decisions, blockedAt);
  }

  /** Audits every statement's decision, then forwards the query (or refuses it when one is blocked). */
  private runQuery(m: Message, classes: Classification[], decisions: Decision[], blockedAt: number, grant?: string): void {
    if (grant !== undefined && this.tokenExpired()) return;
    const runs: StatementRun[] = [];
    for (let i = 0; i < classes.length; i++) {
      const d = decisions[i]!;
      const note = blockedAt >= 0 && i !== blockedAt && !d.blocked ? { detail: { notExecuted: `statement ${blockedAt + 1} of this query was denied` } } : grant && d.blocked ? { enforced: false, detail: { grant } } : {};
      const rec = this.auditDecision(classes[i]!, d, 'simple', note);
      if (!rec) return this.refuse({ code: '42501', message: 'agentgate: audit log unavailable; statement refused' });
      runs.push({ cls: classes[i]!, seq: rec.seq, started: this.now(), rows: 0, masked: 0 });
    }
    if (blockedAt >= 0) return this.refuse(denialError(decisions[blockedAt]!, classes[blockedAt]!));
    for (const c of classes) this.trackSessionState(c);
    this.queue.push({ kind: 'query', runs, idx: 0 });
    this.rowPlan = undefined;
    this.forward(m);
  }

  /** RequireApproval with an approval system present (otherwise it is a denial). */
  private approvable(d: Decision): boolean {
    return d.blocked && d.action === 'RequireApproval' && this.ctx.approvals !== undefined;
  }

  /**
   * The approval path: a matching grant runs the command; otherwise an ApprovalRequest is created and
   * the command is held until decided (mode Hold) or refused naming the request (mode Reject).
   */
  private approve(text: string, c: Classification, d: Decision, protocol: AuditFields['protocol'], onGrant: (grant: string) => void, onRefuse: (err: Omit<ErrorFields, 'severity'>) => void): void | Promise<void> {
    const broker = this.ctx.approvals!;
    const rt = this.runtime();
    const approval = rt.policy.spec.approval;
    const ttl = approval?.grant?.ttlSeconds ?? 0;
    const sha256 = createHash('sha256').update(text).digest('hex');
    const p = this.ctx.principal;
    const masked = rt.masker.maskText(text).text;
    // The proxy verifies what releases a statement (verify-grant.ts): status.phase is not taken on trust.
    const grantFor = { sha256, commandText: masked, target: this.ctx.target.name, policy: rt.policy.metadata.name, principal: p, approval };
    const grant = broker.findGrant(grantFor, ttl);
    if (grant) {
      const name = grant.metadata.name!;
      this.audit.tryAppend({ event: { action: 'approval.grant-used', outcome: 'success' }, rule: { name: d.rule }, message: `executed under ApprovalRequest ${grant.metadata.namespace}/${name}`, detail: { approvalRequest: name, sha256 } });
      if (ttl === 0) void broker.markUsed(name).catch(() => undefined);
      return onGrant(name);
    }
    const timeout = approval?.timeoutSeconds ?? 300;
    return (async () => {
      let ref: { namespace: string; name: string };
      try {
        ref = await broker.request({
          policy: rt.policy.metadata.name,
          rule: d.rule,
          requester: {
            subject: p.sub,
            issuer: p.iss,
            ...(p.kubernetes ? { serviceAccount: `${p.kubernetes.namespace}/${p.kubernetes.serviceAccount}`, ...(p.kubernetes.pod ? { pod: p.kubernetes.pod } : {}) } : {}),
            ...(p.triggeredBy ? { triggeredBy: p.triggeredBy.sub } : {}),
          },
          target: this.ctx.target.name,
          command: { text: masked, summary: masked.replace(/\s+/g, ' ').slice(0, 100), sha256, effects: c.effects, tables: c.tables.map((t) => (t.schema ? `${t.schema}.${t.name}` : t.name)) },
          ...(this.reason ? { reason: this.reason } : {}),
          expiresAt: new Date(this.now() + timeout * 1000).toISOString(),
        });
      } catch (e) {
        this.auditDecision(c, d, protocol, { message: `approval request could not be created: ${(e as Error).message}` });
        return onRefuse({ code: '42501', message: `agentgate: requires approval by rule "${d.rule}", and the approval request could not be created; nothing was executed` });
      }
      this.audit.tryAppend({ event: { action: 'approval.requested' }, rule: { name: d.rule }, db: { query: { text: masked } }, detail: { approvalRequest: `${ref.namespace}/${ref.name}`, sha256, mode: approval?.mode ?? 'Hold' } });
      if (approval?.mode === 'Reject') {
        return onRefuse({
          code: '42501',
          message: `agentgate: requires approval by rule "${d.rule}": ApprovalRequest ${ref.namespace}/${ref.name} is pending; run the same statement again once it is approved`,
          hint: `an approver runs: kubectl patch apr ${ref.name} -n ${ref.namespace} --type merge -p '{"spec":{"decision":"Approved","comment":"..."}}'`,
        });
      }
      const { phase, request, reason } = await broker.waitFor(ref.name, timeout * 1000 + 3000, grantFor);
      // Evidence: who decided, when, and why (as the admission webhook stamped it).
      this.audit.tryAppend({ event: { action: 'approval.decided', outcome: phase === 'Approved' ? 'success' : 'failure' }, rule: { name: d.rule }, message: phase, detail: { approvalRequest: `${ref.namespace}/${ref.name}`, decisions: request?.spec.decisions ?? [] } });
      if (this.closed) return;
      // The policy may have changed, or become unavailable, while the statement was held.
      const current = this.decide(this.runtime(), c);
      if (current.blocked && !this.approvable(current)) {
        this.auditDecision(c, current, protocol);
        return onRefuse(denialError(current, c));
      }
      if (phase === 'Approved') {
        if (ttl === 0) void broker.markUsed(ref.name).catch(() => undefined);
        return onGrant(ref.name);
      }
      return onRefuse({ code: '42501', message: `agentgate: ApprovalRequest ${ref.namespace}/${ref.name} was ${phase === 'Timeout' ? 'not decided in time' : phase === 'Unverified' ? `not honoured (${reason})` : phase.toLowerCase()}; the statement was not executed` });
    })();
  }

  private parse(m: Message, name: string, sql: string, shapes: ShapesResult): void {
    const classes = this.classify(sql, shapes);
    if ('error' in classes) return this.refuseUnparsed(sql, 'extended', classes.error, true);
    const rt = this.runtime();
    for (const c of classes) {
      const d = this.decide(rt, c);
      if (d.blocked && !this.approvable(d)) {
        // Refused at Parse: the statement never reaches the database, not even to be planned.
        if (!this.auditDecision(c, d, 'extended')) return this.denyExtended({ code: '42501', message: 'agentgate: audit log unavailable; statement refused' });
        return this.denyExtended(denialError(d, c));
      }
    }
    this.prepared.set(name, { sql, classes });
    this.queue.push({ kind: 'parse' });
    this.forward(m);
  }

  private execute(m: Message, portalName: string): void | Promise<void> {
    if (this.tokenExpired()) return;
    const portal = this.portals.get(portalName);
    if (!portal) return this.denyExtended({ code: '34000', message: `portal "${portalName}" does not exist` });
    const rt = this.runtime();
    // Decided again at Execute: the policy may have changed since Parse, and each execution is audited.
    const classes = portal.stmt.classes.length ? portal.stmt.classes : [emptyClassification(portal.stmt.sql)];
    const decisions = classes.map((c) => this.decide(rt, c));
    const blockedAt = decisions.findIndex((d) => d.blocked && !this.approvable(d));
    const approvalAt = blockedAt >= 0 ? -1 : decisions.findIndex((d) => this.approvable(d));
    if (approvalAt >= 0) {
      return this.approve(portal.stmt.sql, classes[approvalAt]!, decisions[approvalAt]!, 'extended', (grant) => this.runExecute(m, portalName, portal, classes, decisions, grant), (err) => this.denyExtended(err));
    }
    this.runExecute(m, portalName, portal, classes, decisions);
  }

  private runExecute(m: Message, portalName: string, portal: Portal, classes: Classification[], decisions: Decision[], grant?: string): void {
    if (grant !== undefined && this.tokenExpired()) return;
    let run: StatementRun | undefined;
    for (const [i, c] of classes.entries()) {
      const d = decisions[i]!;
      const rec = this.auditDecision(c, d, 'extended', grant && d.blocked ? { enforced: false, detail: { grant } } : {});
      if (!rec) return this.denyExtended({ code: '42501', message: 'agentgate: audit log unavailable; statement refused' });
      if (d.blocked && !grant) return this.denyExtended(denialError(d, c));
      run ??= { cls: c, seq: rec.seq, started: this.now(), rows: 0, masked: 0 };
    }
    for (const c of portal.stmt.classes) this.trackSessionState(c);
    if (!portal.described && this.resultMasker.active) {
      // Column masking needs the portal's columns; ask for them if the agent did not.
      pushSegment(this.toUpstream, describePortal(portalName));
      this.queue.push({ kind: 'describe', portal: portalName, synthetic: true });
    }
    this.queue.push({ kind: 'execute', run: run!, portal: portalName });
    this.forward(m);
  }

  private functionCall(): void {
    const c = emptyClassification('<fast-path FunctionCall>');
    c.kind = 'FunctionCall';
    c.effects = ['unknown'];
    c.reasons = ['the fast-path function call interface bypasses SQL and is not allowed'];
    const d: Decision = { action: 'Deny', rule: 'function-call-protocol', message: 'fast-path FunctionCall messages are not allowed through agentgate', blocked: true };
    this.auditDecision(c, d, 'function-call');
    this.refuse(denialError(d, c));
  }

  /** SQL-level PREPARE / DEALLOCATE / DISCARD ALL share the protocol's prepared-statement namespace. */
  private trackSessionState(c: Classification): void {
    if (c.prepares !== undefined) this.prepared.set(c.prepares, { sql: c.text, classes: [{ ...c, prepares: undefined } as Classification] });
    if (c.setting?.name === 'agentgate.reason') this.reason = c.setting.value || undefined;
    if (c.deallocates === '*') this.prepared.clear();
    else if (c.deallocates !== undefined) this.prepared.delete(c.deallocates);
  }

  private runtime(): PolicyRuntime {
    const rt = this.ctx.runtime();
    if (rt !== this.maskerOf) {
      this.maskerOf = rt;
      this.resultMasker = new ResultMasker(rt.masker, this.ctx.catalog);
    }
    return rt;
  }

  private decide(rt: PolicyRuntime, c: Classification): Decision {
    const d = rt.engine.decide(c, this.ctx.target);
    if (!d.blocked && c.copy?.direction === 'to' && c.copy.stdio && this.resultMasker.active) {
      if (c.copy.format === 'binary') return { action: 'Deny', rule: 'masking-copy-binary', message: 'COPY TO in binary format cannot be masked; use text or csv', blocked: true };
      if (rt.masker.hasColumnRules && !c.copy.columns) {
        return { action: 'Deny', rule: 'masking-copy-columns', message: 'COPY TO must name its columns (or use a query with named columns) so column masking applies', blocked: true };
      }
    }
    return d;
  }

  // ---------------------------------------------------------------- refusals

  /** Simple-protocol refusal: ErrorResponse + ReadyForQuery, in order with earlier responses. */
  private refuse(err: Omit<ErrorFields, 'severity'>): void {
    this.queue.push({ kind: 'synthetic', emit: () => [errorResponse({ severity: 'ERROR', ...err }), readyForQuery(this.txStatus)] });
    this.drainSynthetic();
  }

  /** Extended-protocol refusal: ErrorResponse now (in order), then skip to Sync like PostgreSQL. */
  private denyExtended(err: Omit<ErrorFields, 'severity'>): void {
    this.queue.push({ kind: 'synthetic', emit: () => [errorResponse({ severity: 'ERROR', ...err })] });
    this.discardUntilSync = true;
    this.drainSynthetic();
  }

  private refuseUnparsed(sql: string, protocol: 'simple' | 'extended', error: string, extended: boolean): void {
    const c = emptyClassification(sql);
    c.kind = 'Unparsed';
    c.effects = ['unknown'];
    c.reasons = [`not parseable: ${error}`];
    const d: Decision = { action: 'Deny', rule: 'unparseable-statement', message: `statement could not be parsed (${error})`, blocked: true };
    this.auditDecision(c, d, protocol);
    const err = { code: '42601', message: `agentgate: ${d.message}; nothing was executed` };
    if (extended) this.denyExtended(err);
    else this.refuse(err);
  }

  private tokenExpired(): boolean {
    if (this.ctx.principal.exp * 1000 > this.now()) return false;
    this.audit.tryAppend({ event: { action: 'identity.rejected' }, message: 'token expired during the session; session closed' });
    this.toClient.push(errorResponse({ severity: 'FATAL', code: '28000', message: 'agentgate: your token has expired; reconnect with a fresh token' }));
    this.flush();
    this.close('token expired');
    return true;
  }

  // ---------------------------------------------------------------- upstream → proxy → agent

  private onUpstreamData(d: Buffer): void {
    try {
      this.upstreamFramer.push(d, (m) => this.onUpstreamMessage(m));
    } catch (e) {
      this.audit.tryAppend({ event: { action: 'protocol.error' }, message: `upstream sent malformed data: ${(e as Error).message}` });
      this.toClient.push(errorResponse({ severity: 'FATAL', code: '08P01', message: 'agentgate: the database sent malformed data; session closed' }));
      this.flush();
      return this.close('upstream protocol error');
    }
    this.flush();
  }

  private out(m: Message): void {
    pushSegment(this.toClient, m.buf.subarray(m.start, m.end));
  }

  private onUpstreamMessage(m: Message): void {
    const front = this.queue[0];
    switch (m.type) {
      case T('D'): {
        const run = front?.kind === 'query' ? front.runs[front.idx] : front?.kind === 'execute' ? front.run : undefined;
        if (run) run.rows++;
        if (this.resultMasker.active) {
          const plan = front?.kind === 'execute' ? this.portals.get(front.portal)?.plan : this.rowPlan;
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
        const plan = this.resultMasker.active ? this.resultMasker.plan(parseRowDescription(m)) : undefined;
        if (front?.kind === 'describe') {
          this.queue.shift();
          if (front.portal !== undefined) {
            const p = this.portals.get(front.portal);
            if (p) {
              p.described = true;
              p.plan = plan;
            }
          }
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
          const p = front.portal !== undefined ? this.portals.get(front.portal) : undefined;
          if (p) p.described = true;
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
        if (front && (front.kind === 'parse' || front.kind === 'bind' || front.kind === 'close')) this.queue.shift();
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
          if (run) this.complete(run, tag);
          this.rowPlan = undefined;
        } else if (front?.kind === 'execute') {
          this.queue.shift();
          this.complete(front.run, tag);
        }
        this.out(m);
        return this.drainSynthetic();
      }
      case T('E'): {
        this.copyIn = false;
        this.copyOut = undefined;
        const masked = this.resultMasker.errorNotice(m);
        let err: { code?: string; message: string } = { message: 'error' };
        try {
          const e = parseErrorNotice(m);
          err = { ...(e.code ? { code: e.code } : {}), message: this.resultMasker.maskText(e.message ?? '').text };
        } catch {
          /* forwarded as is */
        }
        if (front?.kind === 'query') {
          const run = front.runs[front.idx++];
          if (run) this.complete(run, { tag: 'ERROR' }, err);
        } else if (front && front.kind !== 'sync' && front.kind !== 'synthetic') {
          // PostgreSQL skips everything up to Sync after an error in the extended protocol.
          if (front.kind === 'execute') this.complete(front.run, { tag: 'ERROR' }, err);
          while (this.queue.length && this.queue[0]!.kind !== 'sync') {
            const skipped = this.queue.shift()!;
            if (skipped.kind === 'execute' && skipped !== front) this.complete(skipped.run, { tag: 'SKIPPED' }, { message: 'not executed: an earlier message in the pipeline failed' });
          }
          this.discardUntilSync = false;
        }
        if (masked) pushSegment(this.toClient, masked.buf);
        else this.out(m);
        return;
      }
      case T('N'):
      case T('A'): {
        const masked = m.type === T('N') ? this.resultMasker.errorNotice(m) : undefined;
        if (masked) pushSegment(this.toClient, masked.buf);
        else this.out(m);
        return;
      }
      case T('Z'): {
        this.txStatus = m.buf[m.start + 5] ?? this.txStatus;
        if (front?.kind === 'query') {
          for (let i = front.idx; i < front.runs.length; i++) this.complete(front.runs[i]!, { tag: 'SKIPPED' }, { message: 'not executed: an earlier statement in the query failed' });
          this.queue.shift();
        } else if (front?.kind === 'sync') this.queue.shift();
        this.out(m);
        return this.drainSynthetic();
      }
      case T('G'):
        this.copyIn = true;
        return this.out(m);
      case T('H'): {
        const run = front?.kind === 'query' ? front.runs[front.idx] : front?.kind === 'execute' ? front.run : undefined;
        const copy = run?.cls.copy;
        this.copyOut = { ...(run ? { run } : {}), ...(copy ? { plan: this.resultMasker.copyPlan(copy) } : {}) } as { run?: StatementRun; plan?: RowPlan };
        return this.out(m);
      }
      case T('d'): {
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

  /** Emits proxy-made responses that have reached the front of the queue. */
  private drainSynthetic(): void {
    while (this.queue[0]?.kind === 'synthetic') {
      const s = this.queue.shift() as { kind: 'synthetic'; emit: () => Buffer[] };
      for (const b of s.emit()) pushSegment(this.toClient, b);
    }
  }

  private complete(run: StatementRun, tag: { tag: string; rows?: number }, error?: { code?: string; message: string }): void {
    if (run.seq === undefined) return;
    const rows = tag.rows ?? run.rows;
    this.audit.defer({
      // ECS event.duration is in nanoseconds.
      event: { action: 'statement.completion', outcome: error ? 'failure' : 'success', duration: Math.round(Math.max(0, this.now() - run.started) * 1e6) },
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

  private auditDecision(c: Classification, d: Decision, protocol: AuditFields['protocol'], extra: Partial<AuditFields> = {}): AppendedRecord | undefined {
    const rt = this.maskerOf;
    const includeText = rt.policy.spec.audit?.includeStatementText !== false;
    if (d.blocked && !this.approvable(d)) {
      // No statement text in the Event: it stays one series per agent and rule however the agent loops.
      this.ctx.events?.('Warning', 'StatementDenied', `${this.ctx.principal.sub} on ${this.ctx.target.name}: ${d.action === 'RequireApproval' ? 'requires approval' : 'denied'} by rule "${d.rule}"`);
    }
    this.ctx.metrics?.statement(this.ctx.target.name, d.action, extra.enforced ?? d.blocked);
    return this.audit.tryAppend({
      // Proceeded (allowed, or not enforced in Audit mode) or stopped by the proxy.
      event: { action: 'statement.decision', outcome: d.blocked ? 'failure' : 'success' },
      policy: rt.ref,
      ...(includeText ? { db: { query: { text: rt.masker.maskText(c.text).text } } } : {}),
      ...(c.fingerprint ? { fingerprint: c.fingerprint } : {}),
      kind: c.kind,
      effects: c.effects,
      tables: c.tables.map((t) => (t.schema ? `${t.schema}.${t.name}` : t.name)),
      ...(c.functions.length ? { functions: c.functions } : {}),
      ...(c.unboundedWrite ? { unboundedWrite: true } : {}),
      protocol,
      decision: d.action,
      enforced: d.blocked,
      rule: { name: d.rule },
      ...(d.message ? { message: d.message } : {}),
      ...(c.reasons.length ? { reasons: c.reasons } : {}),
      ...extra,
    });
  }

  private flush(): void {
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
    this.toClient.push(errorResponse({ severity: 'FATAL', code: e instanceof ProtocolError ? e.sqlState : 'XX000', message: `agentgate: ${message}` }));
    this.flush();
    this.close(`protocol violation: ${message}`);
  }

  private upstreamLost(): void {
    if (this.closed) return;
    this.audit.tryAppend({ event: { action: 'protocol.error' }, message: 'upstream connection lost' });
    this.toClient.push(errorResponse({ severity: 'FATAL', code: '08006', message: 'agentgate: the connection to the database was lost' }));
    this.flush();
    this.close('upstream connection lost');
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.queue) {
      if (p.kind === 'execute') this.complete(p.run, { tag: 'ABORTED' }, { message: `connection closed before completion (${reason})` });
      if (p.kind === 'query') for (let i = p.idx; i < p.runs.length; i++) this.complete(p.runs[i]!, { tag: 'ABORTED' }, { message: `connection closed before completion (${reason})` });
    }
    this.queue.length = 0;
    this.audit.tryAppend({ event: { action: 'connection.close' }, message: reason });
    this.client.end();
    this.upstream.end();
    setTimeout(() => {
      this.client.destroy();
      this.upstream.destroy();
    }, 1000).unref();
    this.ctx.onClose?.();
  }
}

function bodyDone(m: Message, sql: string): void {
  // Query is one string: PostgreSQL refuses bytes after its terminator, and so does the proxy.
  if (m.start + 5 + Buffer.byteLength(sql) + 1 !== m.end) throw new ProtocolError('malformed Query message: bytes after the query string');
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
  }
  return c;
}

function emptyClassification(text: string): Classification {
  return { text, kind: 'EmptyStmt', effects: [], tables: [], functions: [], unboundedWrite: false, liftsReadOnly: false, reasons: [] };
}

function denialError(d: Decision, c: Classification): Omit<ErrorFields, 'severity'> {
  const verb = d.action === 'RequireApproval' ? 'requires approval' : 'denied';
  return {
    code: '42501',
    message: `agentgate: ${verb} by rule "${d.rule}"${d.message ? `: ${d.message}` : ''}`,
    detail: `statement kind ${c.kind}; effects ${c.effects.join(', ') || 'none'}${c.tables.length ? `; tables ${c.tables.map((t) => (t.schema ? `${t.schema}.${t.name}` : t.name)).join(', ')}` : ''}${c.reasons.length ? `; ${c.reasons.join('; ')}` : ''}`,
    ...(d.action === 'RequireApproval' ? { hint: 'approvals are not available in this build yet; the statement was refused' } : {}),
  };
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
