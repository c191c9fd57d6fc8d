/**
 * The gate for a request that is one operation decided by its protocol's own rule engine (an HTTP
 * request, an MCP call): request → verdict, as Gate is for classified (SQL) operations. The adapter
 * supplies the engine (`decide`), what the decision record says (`record`) and what an approval is
 * bound to (`approval`); the gate refuses while the proxy is unavailable, runs the one approval flow,
 * and records every decision (record.ts) before anything is forwarded. No wire protocol here.
 */
import type { ApprovalBroker } from '../approvals/broker.js';
import type { AppendedRecord, AuditLog } from '../audit/audit-log.js';
import type { AuditFields } from '../audit/record.js';
import { principalRecord, type Principal } from '../identity/verify.js';
import type { PolicyRuntime } from '../policy/runtime.js';
import { awaitApproval, type ApprovalBinding } from './approval-flow.js';
import { writeDecision, type DecidedOperation, type RecordSinks, type EventDetail } from './record.js';
import type { Decision } from './verdict.js';

export interface EngineGateServices extends RecordSinks {
  /** The policy in force now (each decision reads it once). */
  runtime: () => PolicyRuntime;
  audit: AuditLog;
  /** Approval requests and grants (cluster mode); without it RequireApproval is a refusal. */
  approvals?: ApprovalBroker;
  /** Why requests are refused now (policy unavailable), if they are. */
  failClosed?: () => string | undefined;
}

/** How the protocol speaks of what it forwards, in the reasons the agent reads. */
export interface Wording {
  /** 'request' or 'call'. */
  noun: string;
  /** What the agent is told was not done, e.g. 'nothing was forwarded'. */
  notSent: string;
}

export interface EngineRequest<D extends Decision> {
  protocol: AuditFields['protocol'];
  target: string;
  principal: Principal;
  sessionId: string;
  connectionId: string;
  client: { address: string; port?: number };
  wording: Wording;
  /** The protocol's rule engine, under the policy in force. */
  decide(rt: PolicyRuntime): D;
  /** What the decision record says of the operation (its text, masked by the gate; protocol facts masked by the adapter). */
  record(rt: PolicyRuntime, d: D): Pick<DecidedOperation, 'text' | 'fields' | 'eventWhat'>;
  /** What an approval is bound to, and what approvers read. Asked only when one is needed. */
  approval(rt: PolicyRuntime): ApprovalBinding;
  /** Called once the request is held waiting on an ApprovalRequest (namespace/name). */
  onHold?: (approval: string) => void;
}

export type EngineVerdict<D extends Decision> =
  | { kind: 'forward'; decision: D; decisionSeq: number; approval?: string }
  /** `unavailable`: the proxy cannot decide now; `unrecorded`: the decision could not be recorded; `denied`: a rule, guard or approval said no. */
  | {
      kind: 'refuse';
      code: 'denied' | 'unrecorded' | 'unavailable';
      reason: string;
      rule: string;
      decision?: D;
      approval?: string;
    };

export class EngineGate {
  constructor(private readonly s: EngineGateServices) {}

  /** Why new requests are refused now, if they are. */
  unavailable(): string | undefined {
    if (!this.s.audit.healthy) return `audit log unavailable: ${this.s.audit.error?.message}`;
    return this.s.failClosed?.();
  }

  async check<D extends Decision>(req: EngineRequest<D>): Promise<EngineVerdict<D>> {
    const down = this.unavailable();
    if (down)
      return {
        kind: 'refuse',
        code: 'unavailable',
        reason: `${down}; ${req.wording.noun}s are refused`,
        rule: 'proxy-unavailable',
      };
    const rt = this.s.runtime();
    const d = req.decide(rt);
    if (this.held(d)) return this.approve(req, rt, d);
    return this.settle(req, rt, d);
  }

  /** Records the decision; forwards what it does not block (or what runs under `approval`). */
  private settle<D extends Decision>(
    req: EngineRequest<D>,
    rt: PolicyRuntime,
    d: D,
    extra: Partial<AuditFields> = {},
    approval?: string,
  ): EngineVerdict<D> {
    const rec = this.record(req, rt, d, extra);
    if (!rec)
      return {
        kind: 'refuse',
        code: 'unrecorded',
        reason: `the audit log cannot be written; ${req.wording.notSent}`,
        rule: 'audit-unavailable',
        decision: d,
      };
    if (d.blocked && !approval) {
      const reason =
        d.action === 'RequireApproval'
          ? `requires approval by rule "${d.rule}", and approvals are not available here (local mode): the ${req.wording.noun} was refused`
          : `denied by rule "${d.rule}"${d.message ? `: ${d.message}` : ''}`;
      return { kind: 'refuse', code: 'denied', reason, rule: d.rule, decision: d };
    }
    return { kind: 'forward', decision: d, decisionSeq: rec.seq, ...(approval ? { approval } : {}) };
  }

  private record<D extends Decision>(
    req: EngineRequest<D>,
    rt: PolicyRuntime,
    d: D,
    extra: Partial<AuditFields>,
  ): AppendedRecord | undefined {
    const op: DecidedOperation = {
      target: req.target,
      subject: req.principal.sub,
      protocol: req.protocol,
      deniedReason: 'RequestDenied',
      ...req.record(rt, d),
    };
    return writeDecision(
      this.s,
      (f) => this.s.audit.tryAppend({ ...this.scope(req), client: req.client, ...f }),
      rt,
      op,
      d,
      this.held(d),
      extra,
    );
  }

  private async approve<D extends Decision>(req: EngineRequest<D>, rt: PolicyRuntime, d: D): Promise<EngineVerdict<D>> {
    const refused = (reason: string, approval?: string): EngineVerdict<D> => ({
      kind: 'refuse',
      code: 'denied',
      reason,
      rule: d.rule,
      decision: d,
      ...(approval ? { approval } : {}),
    });
    const r = await awaitApproval({
      broker: this.s.approvals!,
      rt,
      d,
      principal: req.principal,
      target: req.target,
      binding: req.approval(rt),
      audit: (fields) => void this.s.audit.tryAppend({ ...this.scope(req), ...fields }),
      redecide: () => {
        const now = this.s.runtime();
        const d2 = req.decide(now);
        return { rt: now, d: d2, held: this.held(d2) };
      },
      ...(req.onHold ? { onHold: req.onHold } : {}),
    });
    // Worded as before for both protocols: MCP agents are told to send the same request again too.
    const { noun, notSent } = req.wording;
    switch (r?.kind) {
      case 'granted':
        return this.settle(
          req,
          rt,
          d,
          { enforced: false, detail: { approvalRequest: `${r.namespace}/${r.name}` } },
          r.name,
        );
      case 'already-used':
        return refused(
          `ApprovalRequest ${r.namespace}/${r.name} was approved for one execution, which another request already used`,
          r.name,
        );
      case 'use-unrecorded':
        this.record(req, rt, d, {
          message: `one-shot grant ${r.namespace}/${r.name} not used: its use could not be recorded: ${r.error}`,
        });
        return refused(
          `ApprovalRequest ${r.namespace}/${r.name} grants one execution, and its use could not be recorded (${r.error}); ${notSent}: send it again when the operator is reachable`,
        );
      case 'not-requested':
        this.record(req, rt, d, { message: `approval request could not be created: ${r.error}` });
        return refused(
          `requires approval by rule "${d.rule}", and the approval request could not be created (${r.error}); ${notSent}`,
        );
      case 'pending':
        this.record(req, rt, d, { detail: { approvalRequest: `${r.namespace}/${r.name}` } });
        return refused(
          `requires approval by rule "${d.rule}": ApprovalRequest ${r.namespace}/${r.name} is pending; send the same request again once it is approved`,
          `${r.namespace}/${r.name}`,
        );
      case 'redecided':
        return this.settle(req, r.rt, r.d as D);
      case 'not-approved':
        this.record(req, rt, d, { message: `ApprovalRequest ${r.namespace}/${r.name} was ${r.what}` });
        return refused(
          `ApprovalRequest ${r.namespace}/${r.name} was ${r.what}; the request was not forwarded`,
          `${r.namespace}/${r.name}`,
        );
      case undefined:
        return refused(`the agent went away while the ${noun} was held; ${notSent}`);
    }
  }

  /** RequireApproval with an approval system present (otherwise it is a refusal). */
  private held(d: Decision): boolean {
    return d.blocked && d.action === 'RequireApproval' && this.s.approvals !== undefined;
  }

  /** What every record of this request shares. */
  scope(
    req: Pick<EngineRequest<Decision>, 'sessionId' | 'connectionId' | 'principal' | 'target'>,
  ): Pick<AuditFields, 'session' | 'connection' | 'principal' | 'target'> {
    return {
      session: { id: req.sessionId },
      connection: req.connectionId,
      principal: principalRecord(req.principal),
      target: req.target,
    };
  }

  /** Records how a forwarded request ended (deferred: the decision is already on record). */
  complete(
    req: Pick<EngineRequest<Decision>, 'sessionId' | 'connectionId' | 'principal' | 'target' | 'protocol'>,
    fields: Omit<AuditFields, 'session' | 'connection' | 'principal' | 'target' | 'protocol'>,
  ): void {
    this.s.audit.defer({ ...this.scope(req), protocol: req.protocol, ...fields });
  }

  /** A token that did not verify. */
  identityRejected(
    protocol: AuditFields['protocol'],
    target: string,
    connectionId: string,
    client: { address: string; port?: number },
    reason: string,
  ): void {
    this.s.audit.tryAppend({
      event: { action: 'identity.rejected', outcome: 'failure' },
      connection: connectionId,
      target,
      client,
      protocol,
      message: reason,
    });
    this.s.events?.('Warning', 'IdentityRejected', `a token was refused on target ${target}: ${reason}`);
    this.s.metrics?.identityRejected(target);
  }

  /** Malformed or oversized input, an upstream failure, a connection that ends: recorded, never silent. */
  protocolEvent(
    protocol: AuditFields['protocol'],
    action: 'protocol.error' | 'connection.close',
    f: {
      target: string;
      connectionId: string;
      sessionId?: string;
      client?: { address: string; port?: number };
      message: string;
    },
  ): void {
    this.s.audit.tryAppend({
      event: { action, ...(action === 'protocol.error' ? { outcome: 'failure' as const } : {}) },
      ...(f.sessionId ? { session: { id: f.sessionId } } : {}),
      connection: f.connectionId,
      target: f.target,
      ...(f.client ? { client: f.client } : {}),
      protocol,
      message: f.message,
    });
  }

  /** Appends a record outside a decision (e.g. an MCP tool whose definition changed) and raises its Event. */
  notice(fields: AuditFields, event?: { reason: string; message: string; detail?: EventDetail }): void {
    this.s.audit.tryAppend(fields);
    if (event) this.s.events?.('Warning', event.reason, event.message, event.detail);
  }
}
