/**
 * Hostile review of the merged gate (issue #12): a request of several operations, one of them held for
 * an approval. After the wait the gate decides the held operation again under the policy in force
 * (approval-flow.ts redecide), but admits the request with the *other* operations' decisions from
 * before the wait (gate.ts: admit(req, runtime(), decisions, -1, grant)). A policy that denies one of
 * them meanwhile (an incident-time Deny) does not stop it: it is recorded Allow under the new policy's
 * ref and forwarded.
 */
import { expect } from 'chai';
import { Gate } from '../../proxy/gate/gate.js';
import { settled } from '../../proxy/gate/verdict.js';
import { compilePolicy } from '../../proxy/policy/runtime.js';
import type { PolicySpec } from '../../shared/contract/policy-types.js';
import {
  dbTarget as target,
  memoryAudit,
  policyDocument,
  sqlOps as ops,
  sqlRun,
  stubBroker,
} from '../support/gate-fixtures.js';

const policy = (rules: PolicySpec['rules']) => policyDocument({ targets: [target], rules });

const payrollNeedsApproval = { name: 'payroll', when: { sql: { tables: ['payroll'] } }, action: 'RequireApproval' };

describe('review-gate: decisions of a multi-operation request after an approval wait', () => {
  it('a statement the policy denies by the time the approval arrives is not forwarded with the approved one', async () => {
    let rt = compilePolicy(policy([payrollNeedsApproval] as never));
    const broker = stubBroker({
      waitFor: async () => {
        // While the query is held, an operator closes writes to orders.
        rt = compilePolicy(
          policy([
            payrollNeedsApproval,
            { name: 'orders-frozen', when: { sql: { tables: ['orders'] } }, action: 'Deny' },
          ] as never),
        );
        return { phase: 'Approved' };
      },
    });
    const gate = new Gate({ runtime: () => rt, audit: { healthy: true } as never, approvals: broker });
    const audit = memoryAudit();
    const v = gate.check(sqlRun(await ops('SELECT * FROM payroll; DELETE FROM orders WHERE id = 1'), { audit }));
    expect(v.kind).to.equal('hold');
    const out = await settled(v);
    const decided = audit.records.filter((r) => r.event.action === 'statement.decision');
    const del = decided.find((r) => (r.tables ?? []).includes('orders'));
    expect(del, 'the DELETE is decided under the policy in force after the wait').to.include({ decision: 'Deny' });
    expect(out).to.include({ kind: 'refuse', rule: 'orders-frozen' });
  });
});
