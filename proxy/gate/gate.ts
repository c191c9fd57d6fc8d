/**
 * The gate, the one for every protocol: a request (what a protocol parser extracted) → a verdict
 * (forward, refuse with a reason, or hold until an approval is decided). Each operation says how it is
 * decided (SQL: decide.ts and guards.ts over its classification; HTTP and MCP: their rule engines);
 * the gate runs the request's guards, sends RequireApproval to the one approval flow (approvals.ts),
 * and records each decision before anything is forwarded (record.ts). It knows no wire protocol: each
 * adapter builds the request and applies the verdict in its own terms. Nothing held: no Promise.
 */
import type { AuditFields } from '../audit/record.js';
import type { AppendedRecord, AuditLog, ScopedAudit } from '../audit/audit-log.js';
import type { ApprovalBroker } from '../approvals/broker.js';
import type { PolicyRuntime } from '../policy/runtime.js';
import { seekApproval } from './approvals.js';
import { writeDecision, type EventDetail, type RecordSinks } from './record.js';
import type { GateRequest, Operation } from './request.js';
import type { Decision, Forward, Refuse, Verdict } from './verdict.js';

export interface GateServices extends RecordSinks {
  /** The policy in force now (it may be replaced at any time; each request reads it once). */
  runtime: () => PolicyRuntime;
  /** The audit log, for what is recorded outside a request's own scope. */
  audit: AuditLog;
  /** Approval requests and grants (cluster mode); without it RequireApproval is a refusal. */
  approvals?: ApprovalBroker;
  /** Why requests are refused now (policy unavailable), if they are. */
  failClosed?: () => string | undefined;
}

/** A request decided under one policy: `blockedAt` is the first operation that blocks (-1: none). */
interface Decided<D extends Decision> {
  rt: PolicyRuntime;
  decisions: D[];
  blockedAt: number;
  /** The rule an approval is sought under, when an operation needs one. */
  approved?: string;
}

export class Gate {
  constructor(private readonly services: GateServices) {}

  /** The policy in force now. */
  runtime(): PolicyRuntime {
    return this.services.runtime();
  }

  /** Why new requests are refused now, if they are (the audit log cannot be written, the policy is unavailable). */
  unavailable(): string | undefined {
    const audit = this.services.audit;
    if (!audit.healthy) return `audit log unavailable: ${audit.error?.message}`;
    return this.services.failClosed?.();
  }

  check<D extends Decision>(req: GateRequest<D>): Verdict<D> {
    const { rt, decisions, approved, blockedAt } = this.decideAll(req);
    const ops = req.operations;
    if (req.stage === 'prepare') {
      // Only a refusal is recorded now: what passes is decided again, and recorded, when it runs.
      if (blockedAt < 0) return { kind: 'forward', decisions: [], records: [] };
      const op = ops[blockedAt]!;
      const d = decisions[blockedAt]!;
      if (!this.record(req, rt, op, d) && !op.refused) return unrecorded(req);
      return this.refusal(req, op, d, approved);
    }
    const heldAt = blockedAt >= 0 ? -1 : decisions.findIndex((d) => this.held(d));
    if (heldAt >= 0) {
      const op = ops[heldAt]!;
      const rule = decisions[heldAt]!.rule;
      // The one approval releases every operation held under its rule: approvers are asked about all of them.
      const held = ops.filter((_, i) => this.held(decisions[i]!) && decisions[i]!.rule === rule);
      // After the wait the whole request is decided again (every operation, the request's guards)
      // under the policy in force, and only this rule's approval may release what it holds, and only
      // what approvers were asked about: an operation a policy change put under the rule meanwhile blocks.
      const asked = new Set(held);
      let after: Decided<D> | undefined;
      const again = (): Decided<D> => (after = this.decideAll(req, rule, asked));
      const approval = seekApproval({
        broker: this.services.approvals!,
        req,
        rt,
        op,
        d: decisions[heldAt]!,
        binding: (rt) => (held.length > 1 && req.approval ? req.approval(held, rt) : op.approval(rt)),
        record: (rt, d, extra) => void this.record(req, rt, op, d, extra),
        stillHeld: () => again().blockedAt < 0,
        refusedAfterWait: () => {
          const now = after ?? again();
          const v = this.admit(req, now.rt, now.decisions, now.blockedAt, rule, undefined, asked);
          return v.kind === 'refuse' ? v : unrecorded(req);
        },
        runtime: () => this.services.runtime(),
        admit: (grant, used) => {
          const now = again();
          used(now.blockedAt < 0);
          return this.admit(
            req,
            now.rt,
            now.decisions,
            now.blockedAt,
            rule,
            now.blockedAt < 0 ? grant : undefined,
            asked,
          );
        },
      });
      return { kind: 'hold', approval };
    }
    return this.admit(req, rt, decisions, blockedAt, approved);
  }

  /**
   * Every operation decided under the policy in force, the request's guards over them, and the first
   * that blocks. RequireApproval does not block (it is held) under the one rule an approval is sought
   * for (`approved`, else the first operation's that needs one): one approval answers one rule.
   */
  private decideAll<D extends Decision>(req: GateRequest<D>, approved?: string, asked?: Set<Operation<D>>): Decided<D> {
    const rt = this.services.runtime();
    const decisions = req.operations.map((op) => op.decide(rt));
    req.guard?.(decisions, rt);
    const rule = approved ?? decisions.find((d) => this.held(d))?.rule;
    const blockedAt = decisions.findIndex(
      (d, i) => d.blocked && !(this.held(d) && d.rule === rule && (!asked || asked.has(req.operations[i]!))),
    );
    return { rt, decisions, blockedAt, ...(rule !== undefined ? { approved: rule } : {}) };
  }

  /** Records every operation's decision; forwards them, or refuses the one blocked. */
  private admit<D extends Decision>(
    req: GateRequest<D>,
    rt: PolicyRuntime,
    decisions: D[],
    blockedAt: number,
    approved?: string,
    grant?: string,
    asked?: Set<Operation<D>>,
  ): Forward<D> | Refuse {
    const records: (number | undefined)[] = [];
    for (const [i, op] of req.operations.entries()) {
      const d = decisions[i]!;
      const note =
        blockedAt >= 0 && i !== blockedAt && (!d.blocked || this.held(d))
          ? { detail: { notExecuted: `${req.wording.noun} ${blockedAt + 1} of this query was denied` } }
          : grant && d.blocked
            ? { enforced: false, detail: { grant } }
            : undefined;
      const rec = this.record(req, rt, op, d, note);
      if (!rec && !op.refused) return unrecorded(req);
      records.push(rec?.seq);
    }
    if (blockedAt >= 0) return this.refusal(req, req.operations[blockedAt]!, decisions[blockedAt]!, approved, asked);
    return { kind: 'forward', decisions, records, ...(grant !== undefined ? { grant } : {}) };
  }

  /** How a blocking decision is told: an approval under another rule than the one sought is refused as such. */
  private refusal<D extends Decision>(
    req: GateRequest<D>,
    op: Operation<D>,
    d: D,
    approved?: string,
    asked?: Set<Operation<D>>,
  ): Refuse {
    if (this.held(d) && d.rule === approved && asked && !asked.has(op))
      return {
        kind: 'refuse',
        code: 'denied',
        rule: d.rule,
        reason: `requires approval by rule "${d.rule}" since the policy changed while the approval was sought, and that approval was not asked for this ${req.wording.noun}; ${req.wording.nothing}: ${req.wording.again} to ask for it`,
      };
    if (!this.held(d) || approved === undefined || d.rule === approved) return refusal(op, d);
    return {
      kind: 'refuse',
      code: 'denied',
      rule: d.rule,
      reason: `requires approval by rule "${d.rule}"; the approval sought is under rule "${approved}", and one approval answers one rule (send what needs each separately); ${req.wording.nothing}`,
    };
  }

  /** RequireApproval with an approval system present (otherwise it is a refusal). */
  private held(d: Decision): boolean {
    return d.blocked && d.action === 'RequireApproval' && this.services.approvals !== undefined;
  }

  private record<D extends Decision>(
    req: GateRequest<D>,
    rt: PolicyRuntime,
    op: Operation<D>,
    d: D,
    extra?: Partial<AuditFields>,
  ): AppendedRecord | undefined {
    return writeDecision(
      this.services,
      req,
      rt,
      op.record(rt, d),
      d,
      this.held(d),
      op.refused?.record ? { ...op.refused.record, ...extra } : extra,
    );
  }

  // ---------------------------------------------------------------- records outside a decision

  /** The audit log scoped to what a request's records share (session, connection, principal, target). */
  scope(shared: Partial<AuditFields>): ScopedAudit {
    return this.services.audit.scope(shared);
  }

  /** Records how a forwarded operation ended (deferred: its decision is already on record). */
  complete(fields: AuditFields): void {
    this.services.audit.defer(fields);
  }

  /** A token that did not verify (`protocol`: HTTP and MCP; a PostgreSQL session has none before its first message). */
  identityRejected(
    protocol: AuditFields['protocol'] | undefined,
    target: string,
    connectionId: string,
    client: { address: string; port?: number },
    reason: string,
  ): void {
    this.services.audit.tryAppend({
      event: { action: 'identity.rejected', outcome: 'failure' },
      connection: connectionId,
      target,
      client,
      ...(protocol ? { protocol } : {}),
      message: reason,
    });
    this.services.events?.('Warning', 'IdentityRejected', `a token was refused on target ${target}: ${reason}`);
    this.services.metrics?.identityRejected(target);
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
    this.services.audit.tryAppend({
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
    this.services.audit.tryAppend(fields);
    if (event) this.services.events?.('Warning', event.reason, event.message, event.detail);
  }
}

function refusal<D extends Decision>(op: Operation<D>, d: D): Refuse {
  return op.refused?.refusal ?? op.refusal(d);
}

function unrecorded(req: GateRequest<Decision>): Refuse {
  return {
    kind: 'refuse',
    code: 'unrecorded',
    rule: 'audit-unavailable',
    reason: `the audit log cannot be written; ${req.wording.nothing}`,
  };
}
