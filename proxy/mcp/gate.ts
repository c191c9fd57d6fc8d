/**
 * The gate for MCP calls over today's code, as direct-gate.ts is for HTTP: McpPolicyEngine decides,
 * the approval flow holds or rejects, the audit log records before anything is sent to the server,
 * Events and metrics as for SQL and HTTP.
 */
import type { AuditFields } from '../audit/record.js';
import type { DirectGateOptions } from '../http/direct-gate.js';
import { requireApproval, type ApprovalVerdict } from '../http/approval-flow.js';
import { principalRecord, type Principal } from '../identity/verify.js';
import type { Decision } from '../gate/decide.js';
import type { PolicyRuntime } from '../policy/runtime.js';
import type { McpTargetSpec } from '../../shared/contract/policy-types.js';
import { McpPolicyEngine } from './decide-mcp.js';
import { callLine, type McpCallFacts } from './mcp-facts.js';

export interface McpGateRequest {
  facts: McpCallFacts;
  target: McpTargetSpec;
  principal: Principal;
  sessionId: string;
  connectionId: string;
  client: { address: string; port?: number };
  /** The arguments as approvers and the audit log see them (masked JSON). */
  maskedArguments: string;
  requestBytes: number;
}

export type McpVerdict = ApprovalVerdict<Decision>;

export interface McpOutcome {
  request: McpGateRequest;
  verdict: Extract<McpVerdict, { kind: 'forward' }>;
  resultBytes: number;
  maskedValues: number;
  isError: boolean;
  durationMs: number;
  error?: string;
}

export class McpGate {
  private engineFor?: { runtime: PolicyRuntime; engine: McpPolicyEngine };

  constructor(private readonly o: DirectGateOptions) {}

  runtime(): PolicyRuntime {
    return this.o.runtime();
  }

  engine(rt: PolicyRuntime = this.o.runtime()): McpPolicyEngine {
    if (this.engineFor?.runtime !== rt) this.engineFor = { runtime: rt, engine: new McpPolicyEngine(rt.policy.spec) };
    return this.engineFor.engine;
  }

  unavailable(): string | undefined {
    if (!this.o.audit.healthy) return `audit log unavailable: ${this.o.audit.error?.message}`;
    return this.o.failClosed?.();
  }

  private decideNow(req: McpGateRequest): { rt: PolicyRuntime; d: Decision } {
    const rt = this.o.runtime();
    const p = req.principal;
    return { rt, d: this.engine(rt).decide(req.facts, req.target, { sub: p.sub, iss: p.iss, ...(p.triggeredBy ? { triggeredBy: p.triggeredBy.sub } : {}) }, p.triggeredBy) };
  }

  async decide(req: McpGateRequest, onHold?: (approval: string) => void): Promise<McpVerdict> {
    const down = this.unavailable();
    if (down) return { kind: 'refuse', status: 503, reason: `${down}; calls are refused`, rule: 'proxy-unavailable' };
    const { rt, d } = this.decideNow(req);
    if (d.blocked && d.action === 'RequireApproval' && this.o.approvals) {
      const line = callLine(req.facts);
      return requireApproval<Decision>({
        broker: this.o.approvals, rt, decision: d, principal: req.principal, target: req.target.name, sha256: req.facts.sha256, line,
        text: `${line}\n\narguments (masked), sha256 ${req.facts.sha256}:\n${req.maskedArguments}`.slice(0, 65536),
        summary: `MCP ${line}`, effects: [req.facts.method === 'tools/call' ? 'write' : 'read'],
        audit: (fields) => this.append(req, fields),
        settle: (rt2, d2, extra, approval) => this.settle(req, rt2, d2, extra, approval),
        recordDecision: (rt2, d2, extra) => void this.auditDecision(req, rt2, d2, extra),
        decideNow: () => this.decideNow(req),
        ...(onHold ? { onHold } : {}),
      });
    }
    return this.settle(req, rt, d);
  }

  private settle(req: McpGateRequest, rt: PolicyRuntime, d: Decision, extra: Partial<AuditFields> = {}, approval?: string): McpVerdict {
    const rec = this.auditDecision(req, rt, d, extra);
    if (!rec) return { kind: 'refuse', status: 503, reason: 'the audit log cannot be written; nothing was sent to the server', rule: 'audit-unavailable', decision: d };
    if (d.blocked && !approval) {
      this.o.events?.('Warning', 'RequestDenied', `${req.principal.sub} on ${req.target.name}: ${callLine(req.facts)} ${d.action === 'RequireApproval' ? 'requires approval' : 'denied'} by rule "${d.rule}"`);
      const reason = d.action === 'RequireApproval' ? `requires approval by rule "${d.rule}", and approvals are not available here (local mode): the call was refused` : `denied by rule "${d.rule}"${d.message ? `: ${d.message}` : ''}`;
      return { kind: 'refuse', status: 403, reason, rule: d.rule, decision: d };
    }
    return { kind: 'forward', decision: d, decisionSeq: rec.seq, ...(approval ? { approval } : {}) };
  }

  private auditDecision(req: McpGateRequest, rt: PolicyRuntime, d: Decision, extra: Partial<AuditFields>): { seq: number } | undefined {
    const enforced = extra.enforced ?? d.blocked;
    this.o.metrics?.statement(req.target.name, d.action, enforced);
    const f = req.facts;
    return this.o.audit.tryAppend({
      ...this.base(req),
      event: { action: 'statement.decision', outcome: enforced ? 'failure' : 'success' },
      client: req.client,
      policy: rt.ref,
      protocol: 'mcp',
      ...(rt.policy.spec.audit?.includeStatementText !== false ? { db: { query: { text: rt.masker.maskText(callLine(f)).text } } } : {}),
      mcp: this.callFields(req, rt),
      decision: d.action,
      enforced: d.blocked,
      rule: { name: d.rule },
      ...(d.message ? { message: d.message } : {}),
      ...extra,
    });
  }

  private callFields(req: McpGateRequest, rt: PolicyRuntime): NonNullable<AuditFields['mcp']> {
    const f = req.facts;
    const m = (s: string): string => rt.masker.maskText(s).text;
    return {
      method: f.method, ...(f.tool !== undefined ? { tool: m(f.tool) } : {}), ...(f.uri !== undefined ? { uri: m(f.uri) } : {}), ...(f.prompt !== undefined ? { prompt: m(f.prompt) } : {}),
      argumentsSha256: f.sha256, ...(rt.policy.spec.audit?.includeStatementText !== false ? { arguments: req.maskedArguments.slice(0, 16384) } : {}), requestBytes: req.requestBytes,
    };
  }

  private base(req: McpGateRequest): Pick<AuditFields, 'session' | 'connection' | 'principal' | 'target'> {
    return { session: { id: req.sessionId }, connection: req.connectionId, principal: principalRecord(req.principal), target: req.target.name };
  }

  private append(req: McpGateRequest, fields: AuditFields): void {
    this.o.audit.tryAppend({ ...this.base(req), ...fields });
  }

  record(o: McpOutcome): void {
    const req = o.request;
    const rt = this.o.runtime();
    this.o.audit.defer({
      ...this.base(req),
      event: { action: 'statement.completion', outcome: o.error !== undefined ? 'failure' : 'success', duration: Math.round(Math.max(0, o.durationMs) * 1e6) },
      decisionSeq: o.verdict.decisionSeq,
      protocol: 'mcp',
      mcp: { ...this.callFields(req, rt), resultBytes: o.resultBytes, isError: o.isError },
      maskedValues: o.maskedValues,
      ...(o.error ? { error: { message: o.error } } : {}),
    });
  }

  /** A tool whose definition changed from the one first seen (or from the pinned ones): blocked until accepted. */
  toolChanged(target: string, session: { sessionId: string; connectionId: string; principal: Principal }, tool: string, fingerprint: string, baseline: string | undefined): void {
    const message = `tool "${tool}" on target ${target} changed its definition (sha256 ${fingerprint}${baseline ? `, was ${baseline}` : ', not among the accepted ones'}); it is blocked until an admin lists the new fingerprint in the target's mcp.acceptedTools`;
    this.o.audit.tryAppend({ event: { action: 'protocol.error', outcome: 'failure' }, session: { id: session.sessionId }, connection: session.connectionId, principal: principalRecord(session.principal), target, protocol: 'mcp', rule: { name: 'tool-definition-changed' }, message, detail: { tool, sha256: fingerprint, ...(baseline ? { baseline } : {}) } });
    this.o.events?.('Warning', 'ToolDefinitionChanged', message, { toolDefinition: { target, tool, sha256: fingerprint, ...(baseline ? { baseline } : {}) } });
  }

  identityRejected(target: string, connectionId: string, client: McpGateRequest['client'], reason: string): void {
    this.o.audit.tryAppend({ event: { action: 'identity.rejected', outcome: 'failure' }, connection: connectionId, target, client, protocol: 'mcp', message: reason });
    this.o.events?.('Warning', 'IdentityRejected', `a token was refused on target ${target}: ${reason}`);
    this.o.metrics?.identityRejected(target);
  }

  protocolEvent(action: 'protocol.error' | 'connection.close', f: { target: string; connectionId: string; sessionId?: string; client?: McpGateRequest['client']; message: string }): void {
    this.o.audit.tryAppend({ event: { action, ...(action === 'protocol.error' ? { outcome: 'failure' as const } : {}) }, ...(f.sessionId ? { session: { id: f.sessionId } } : {}), connection: f.connectionId, target: f.target, ...(f.client ? { client: f.client } : {}), protocol: 'mcp', message: f.message });
  }
}
