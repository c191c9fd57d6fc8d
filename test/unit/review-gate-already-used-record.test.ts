/**
 * Hostile review of the merged gate (issue #12): an operation refused because its one-shot grant was
 * already used leaves no decision record (approvals.ts 'already-used' returns a refusal without
 * a.record, unlike every other refusal of the approval flow). The refused attempt is missing from the
 * chain, from decisions.csv and from the evidence report's denials: for SQL, HTTP and MCP alike.
 */
import { expect } from 'chai';
import { Gate } from '../../proxy/gate/gate.js';
import { DirectHttpGate } from '../../proxy/http/direct-gate.js';
import type { ApprovalRequest } from '../../shared/contract/approval-request.js';
import {
  httpPost,
  httpTarget as http,
  memoryAuditLog as memoryAudit,
  policyRuntime,
  stubBroker,
} from '../support/gate-fixtures.js';

describe('review-gate: a refusal because a one-shot grant was already used', () => {
  it('is on record as a decision of the request, like every other refusal after an approval was sought', async () => {
    const rt = policyRuntime({
      targets: [http],
      rules: [{ name: 'refunds', when: { http: { methods: ['POST'] } }, action: 'RequireApproval' }],
      approval: { mode: 'Reject', approvers: { users: ['bob'] } },
    });
    // An Approved one-shot ApprovalRequest another request of this run has already claimed.
    const broker = stubBroker({
      findGrant: () => ({ metadata: { name: 'apr-1', namespace: 'agents' } }) as ApprovalRequest,
      request: async () => ({ namespace: 'agents', name: 'apr-1' }),
      claim: () => false,
    });
    const audit = memoryAudit();
    const gate = new DirectHttpGate(new Gate({ runtime: () => rt, audit, approvals: broker }));
    const v = await gate.decide(httpPost('/refunds', '{"amount":500}'));
    expect(v).to.deep.include({ kind: 'refuse', status: 403, rule: 'refunds' });
    const decided = audit.records.filter((r) => r.event.action === 'statement.decision');
    expect(decided, 'the refused request has its decision on record').to.have.length(1);
    expect(decided[0]).to.deep.include({ decision: 'RequireApproval', enforced: true });
  });
});
