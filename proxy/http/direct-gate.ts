/**
 * The HTTP gate port over today's code: HttpPolicyEngine decides, the approval broker holds, the audit
 * log records before forwarding, Events and metrics as for SQL. One file, to be swapped for the
 * protocol-free gate.
 */
import type { ApprovalBroker } from '../approvals/broker.js';
import type { EventSink } from '../gate/record.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { AuditFields } from '../audit/record.js';
import { principalRecord } from '../identity/verify.js';
import type { ProxyMetrics } from '../observability/metrics.js';
import type { PolicyRuntime } from '../policy/runtime.js';
import { requireApproval } from './approval-flow.js';
import { HttpPolicyEngine, type HttpDecision } from './decide-http.js';
import type { GateRequest, HttpGatePort, HttpOutcome, Verdict } from './gate-port.js';
import { requestLine } from './request-facts.js';

export interface DirectGateOptions {
  runtime: () => PolicyRuntime;
  audit: AuditLog;
  approvals?: ApprovalBroker;
  events?: EventSink;
  metrics?: ProxyMetrics;
  /** Why requests are refused now (policy unavailable), if they are. */
  failClosed?: () => string | undefined;
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

export class DirectHttpGate implements HttpGatePort {
  private engineFor?: { runtime: PolicyRuntime; engine: HttpPolicyEngine };

  constructor(private readonly o: DirectGateOptions) {}

  private engine(rt: PolicyRuntime): HttpPolicyEngine {
    if (this.engineFor?.runtime !== rt) this.engineFor = { runtime: rt, engine: new HttpPolicyEngine(rt.policy.spec) };
    return this.engineFor.engine;
  }

  unavailable(): string | undefined {
    if (!this.o.audit.healthy) return `audit log unavailable: ${this.o.audit.error?.message}`;
    return this.o.failClosed?.();
  }

  private decideNow(req: GateRequest): { rt: PolicyRuntime; d: HttpDecision } {
    const rt = this.o.runtime();
    const p = req.principal;
    return { rt, d: this.engine(rt).decide(req.facts, req.target, { sub: p.sub, iss: p.iss, ...(p.triggeredBy ? { triggeredBy: p.triggeredBy.sub } : {}) }) };
  }

  async decide(req: GateRequest, onHold?: (approval: string) => void): Promise<Verdict> {
    const down = this.unavailable();
    if (down) return { kind: 'refuse', status: 503, reason: `${down}; requests are refused`, rule: 'proxy-unavailable' };
    const { rt, d } = this.decideNow(req);
    if (d.blocked && d.action === 'RequireApproval' && this.o.approvals) return this.approve(req, rt, d, onHold);
    return this.settle(req, rt, d);
  }

  /** Records the decision; forwards what it does not block. */
  private settle(req: GateRequest, rt: PolicyRuntime, d: HttpDecision, extra: Partial<AuditFields> = {}, approval?: string): Verdict {
    const rec = this.auditDecision(req, rt, d, extra);
    if (!rec) return { kind: 'refuse', status: 503, reason: 'the audit log cannot be written; nothing was forwarded', rule: 'audit-unavailable', decision: d };
    if (d.blocked && !approval) {
      this.o.events?.('Warning', 'RequestDenied', `${req.principal.sub} on ${req.target.name}: ${d.action === 'RequireApproval' ? 'requires approval' : 'denied'} by rule "${d.rule}"`);
      const reason = d.action === 'RequireApproval' ? `requires approval by rule "${d.rule}", and approvals are not available here (local mode): the request was refused` : `denied by rule "${d.rule}"${d.message ? `: ${d.message}` : ''}`;
      return { kind: 'refuse', status: 403, reason, rule: d.rule, decision: d };
    }
    return { kind: 'forward', decision: d, decisionSeq: rec.seq, ...(approval ? { approval } : {}) };
  }

  private auditDecision(req: GateRequest, rt: PolicyRuntime, d: HttpDecision, extra: Partial<AuditFields>): { seq: number } | undefined {
    const enforced = extra.enforced ?? d.blocked;
    this.o.metrics?.statement(req.target.name, d.action, enforced);
    const f = req.facts;
    return this.o.audit.tryAppend({
      event: { action: 'statement.decision', outcome: enforced ? 'failure' : 'success' },
      session: { id: req.sessionId },
      connection: req.connectionId,
      principal: principalRecord(req.principal),
      target: req.target.name,
      client: req.client,
      policy: rt.ref,
      protocol: 'http',
      ...(rt.policy.spec.audit?.includeStatementText !== false ? { db: { query: { text: rt.masker.maskText(requestLine(f)).text } } } : {}),
      http: { method: f.method, path: rt.masker.maskText(f.path.raw).text, ...(d.pathTemplate ? { pathTemplate: d.pathTemplate } : {}), requestBytes: f.body.length, bodySha256: f.sha256 },
      decision: d.action,
      enforced: d.blocked,
      rule: { name: d.rule },
      ...(d.message ? { message: d.message } : {}),
      ...extra,
    });
  }

  private approve(req: GateRequest, rt: PolicyRuntime, d: HttpDecision, onHold?: (approval: string) => void): Promise<Verdict> {
    const f = req.facts;
    const line = rt.masker.maskText(requestLine(f)).text;
    return requireApproval<HttpDecision>({
      broker: this.o.approvals!, rt, decision: d, principal: req.principal, target: req.target.name, sha256: f.sha256, line,
      text: `${line}${req.maskedBody ? `\n\n${req.maskedBody}` : ''}`.slice(0, 65536),
      summary: `HTTP ${line}`, effects: [SAFE.has(f.method) ? 'read' : 'write'],
      audit: (fields) => void this.o.audit.tryAppend({ session: { id: req.sessionId }, connection: req.connectionId, principal: principalRecord(req.principal), target: req.target.name, ...fields }),
      settle: (rt2, d2, extra, approval) => this.settle(req, rt2, d2, extra, approval),
      recordDecision: (rt2, d2, extra) => void this.auditDecision(req, rt2, d2, extra),
      decideNow: () => this.decideNow(req),
      ...(onHold ? { onHold } : {}),
    });
  }

  record(o: HttpOutcome): void {
    const req = o.request;
    const failed = o.error !== undefined || o.status >= 500 || o.status === 0;
    this.o.audit.defer({
      event: { action: 'statement.completion', outcome: failed ? 'failure' : 'success', duration: Math.round(Math.max(0, o.durationMs) * 1e6) },
      session: { id: req.sessionId },
      connection: req.connectionId,
      principal: principalRecord(req.principal),
      target: req.target.name,
      decisionSeq: o.verdict.decisionSeq,
      protocol: 'http',
      http: { method: req.facts.method, path: this.o.runtime().masker.maskText(req.facts.path.raw).text, ...(o.verdict.decision.pathTemplate ? { pathTemplate: o.verdict.decision.pathTemplate } : {}), status: o.status, requestBytes: o.requestBytes, responseBytes: o.responseBytes },
      maskedValues: o.maskedValues,
      ...(o.error ? { error: { message: o.error } } : {}),
    });
  }

  identityRejected(target: string, connectionId: string, client: GateRequest['client'], reason: string): void {
    this.o.audit.tryAppend({ event: { action: 'identity.rejected', outcome: 'failure' }, connection: connectionId, target, client, protocol: 'http', message: reason });
    this.o.events?.('Warning', 'IdentityRejected', `a token was refused on target ${target}: ${reason}`);
    this.o.metrics?.identityRejected(target);
  }

  protocolEvent(action: 'protocol.error' | 'connection.close', f: { target: string; connectionId: string; sessionId?: string; client?: GateRequest['client']; message: string }): void {
    this.o.audit.tryAppend({ event: { action, ...(action === 'protocol.error' ? { outcome: 'failure' as const } : {}) }, ...(f.sessionId ? { session: { id: f.sessionId } } : {}), connection: f.connectionId, target: f.target, ...(f.client ? { client: f.client } : {}), protocol: 'http', message: f.message });
  }
}
