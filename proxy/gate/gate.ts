/**
 * The gate: a request (what a protocol parser extracted) → a verdict. It decides every operation
 * (decide.ts, guards.ts), sends RequireApproval to the approval system (approvals.ts), and records
 * each decision before anything is forwarded (record.ts). It knows no wire protocol: each adapter
 * (proxy/postgres/ today) builds the request and applies the verdict in its own terms.
 */
import type { AuditFields } from '../audit/record.js';
import type { AppendedRecord } from '../audit/audit-log.js';
import type { ApprovalBroker } from '../approvals/broker.js';
import type { PolicyRuntime } from '../policy/runtime.js';
import { seekApproval } from './approvals.js';
import { decideOperation } from './decide.js';
import { limitsOf, requestGuard } from './guards.js';
import { recordDecision, type RecordSinks } from './record.js';
import type { GateRequest, Operation } from './request.js';
import { denial, unrecorded, type Decision, type Forward, type Refuse, type Verdict } from './verdict.js';

export interface GateServices extends RecordSinks {
  /** The policy in force now (it may be replaced at any time; each request reads it once). */
  runtime: () => PolicyRuntime;
  /** Approval requests and grants (cluster mode); without it RequireApproval is a refusal. */
  approvals?: ApprovalBroker;
}

export class Gate {
  constructor(private readonly services: GateServices) {}

  check(req: GateRequest): Verdict {
    const rt = this.services.runtime();
    const decisions = req.operations.map((op) =>
      decideOperation(op, rt, req.target, req.catalog, req.principal.triggeredBy),
    );
    requestGuard(
      req.operations.map((op) => op.classification),
      decisions,
      limitsOf(rt),
      req.fetchedInParts ?? false,
    );
    const blockedAt = decisions.findIndex((d) => d.blocked && !this.held(d));
    if (req.stage === 'prepare') {
      // Only a refusal is recorded now: what passes is decided again, and recorded, when it runs.
      if (blockedAt < 0) return { kind: 'forward', records: [] };
      const op = req.operations[blockedAt]!;
      const d = decisions[blockedAt]!;
      if (!this.record(req, rt, op, d) && !op.refused) return unrecorded;
      return refusal(op, d);
    }
    const heldAt = blockedAt >= 0 ? -1 : decisions.findIndex((d) => this.held(d));
    if (heldAt >= 0) {
      const op = req.operations[heldAt]!;
      const approval = seekApproval({
        broker: this.services.approvals!,
        req,
        rt,
        op,
        d: decisions[heldAt]!,
        record: (d, extra) => void this.record(req, this.services.runtime(), op, d, extra),
        redecide: () => {
          const d = decideOperation(op, this.services.runtime(), req.target, req.catalog, req.principal.triggeredBy);
          return { d, held: this.held(d) };
        },
        admit: (grant) => this.admit(req, decisions, -1, grant),
      });
      return { kind: 'hold', approval };
    }
    return this.admit(req, decisions, blockedAt);
  }

  /** Records every operation's decision; forwards them, or refuses the one blocked. */
  private admit(req: GateRequest, decisions: Decision[], blockedAt: number, grant?: string): Forward | Refuse {
    const rt = this.services.runtime();
    const records: (number | undefined)[] = [];
    for (const [i, op] of req.operations.entries()) {
      const d = decisions[i]!;
      const note =
        blockedAt >= 0 && i !== blockedAt && !d.blocked
          ? { detail: { notExecuted: `statement ${blockedAt + 1} of this query was denied` } }
          : grant && d.blocked
            ? { enforced: false, detail: { grant } }
            : {};
      const rec = this.record(req, rt, op, d, note);
      if (!rec && !op.refused) return unrecorded;
      records.push(rec?.seq);
    }
    if (blockedAt >= 0) return refusal(req.operations[blockedAt]!, decisions[blockedAt]!);
    return { kind: 'forward', records, ...(grant !== undefined ? { grant } : {}) };
  }

  /** RequireApproval with an approval system present (otherwise it is a refusal). */
  private held(d: Decision): boolean {
    return d.blocked && d.action === 'RequireApproval' && this.services.approvals !== undefined;
  }

  private record(
    req: GateRequest,
    rt: PolicyRuntime,
    op: Operation,
    d: Decision,
    extra: Partial<AuditFields> = {},
  ): AppendedRecord | undefined {
    return recordDecision(this.services, req, rt, op.classification, d, this.held(d), {
      ...op.refused?.record,
      ...extra,
    });
  }
}

function refusal(op: Operation, d: Decision): Refuse {
  return op.refused?.refusal ?? denial(d, op.classification);
}
