import { expect } from 'chai';
import { admitApprovalCreate, admitApprovalUpdate } from '../../operator/approvals/admission.js';
import { phaseOf, type ApprovalRequest } from '../../shared/contract/approval-request.js';
import type { ApprovalSpec } from '../../shared/contract/policy-types.js';

const NOW = Date.parse('2026-11-26T10:00:00Z');
const apr = (over: Partial<ApprovalRequest['spec']> = {}): ApprovalRequest => ({
  apiVersion: 'agentgate.dev/v1alpha1',
  kind: 'ApprovalRequest',
  metadata: { name: 'r', namespace: 'agents' },
  spec: {
    policy: 'p',
    rule: 'r',
    target: 't',
    expiresAt: '2026-11-26T10:05:00Z',
    requester: {
      subject: 'system:serviceaccount:agents:bot',
      serviceAccount: 'agents/bot',
      triggeredBy: 'alice@example.com',
    },
    command: { text: 'DELETE FROM t', sha256: 'a'.repeat(64) },
    ...over,
  },
});
const approval: ApprovalSpec = {
  mode: 'Hold',
  timeoutSeconds: 300,
  approvers: { groups: ['approvers'], users: ['carol'] },
  requiredApprovals: 2,
  retentionSeconds: 3600,
};
const decide = (old: ApprovalRequest, user: string, groups: string[], decision: 'Approved' | 'Denied' = 'Approved') => {
  const next = structuredClone(old);
  next.spec.decision = decision;
  next.spec.comment = 'ok';
  return admitApprovalUpdate(old, next, { username: user, groups }, approval, NOW);
};

describe('ApprovalRequest admission (pure)', () => {
  it('moves the decision into decisions, stamped with the caller, and clears spec.decision', () => {
    const r = decide(apr(), 'bob', ['approvers']);
    expect(r.allowed).to.equal(true);
    const m = (r as { mutated: ApprovalRequest }).mutated;
    expect(m.spec.decision).to.equal(undefined);
    expect(m.spec.decisions).to.deep.equal([
      { user: 'bob', groups: ['approvers'], decision: 'Approved', comment: 'ok', time: new Date(NOW).toISOString() },
    ]);
  });
  it('refuses self-approval by the agent (user or service account) and by the person who triggered the run', () => {
    for (const u of ['system:serviceaccount:agents:bot', 'alice@example.com']) {
      const r = decide(apr(), u, ['approvers']);
      expect(r).to.deep.include({ allowed: false });
      expect((r as { message: string }).message).to.contain('no self-approval');
    }
  });
  it('refuses non-approvers, tampering, forged decisions, repeated and late decisions', () => {
    expect((decide(apr(), 'mallory', ['devs']) as { message: string }).message).to.contain('not an approver');
    expect(decide(apr(), 'carol', []).allowed).to.equal(true);
    const tampered = structuredClone(apr());
    tampered.spec.command.text = 'SELECT 1';
    expect(
      admitApprovalUpdate(apr(), tampered, { username: 'bob', groups: ['approvers'] }, approval, NOW),
    ).to.deep.include({ allowed: false });
    const forged = structuredClone(apr());
    forged.spec.decisions = [{ user: 'bob', decision: 'Approved', time: 'x' }];
    expect(
      (admitApprovalUpdate(apr(), forged, { username: 'bob' }, approval, NOW) as { message: string }).message,
    ).to.contain('written by agentgate');
    const once = apr({ decisions: [{ user: 'bob', decision: 'Approved', time: 'x' }] });
    expect((decide(once, 'bob', ['approvers']) as { message: string }).message).to.contain(
      'already decided on this request; 2 distinct approvers',
    );
    const denied = apr({ decisions: [{ user: 'bob', decision: 'Denied', time: 'x' }] });
    expect((decide(denied, 'carol', []) as { message: string }).message).to.contain('already Denied');
    const expired = apr({ expiresAt: '2026-11-26T09:00:00Z' });
    expect((decide(expired, 'carol', []) as { message: string }).message).to.contain('already Expired');
  });
  it('refuses a request created with a decision', () => {
    const operator = { username: 'system:serviceaccount:agentgate:agentgate-operator' };
    expect(admitApprovalCreate(apr({ decision: 'Approved' }), operator, operator.username).allowed).to.equal(false);
    expect(admitApprovalCreate(apr(), operator, operator.username).allowed).to.equal(true);
  });
  it('phase: N distinct approvals approve, one denial denies, the clock expires, Used stays', () => {
    const two = apr({
      decisions: [
        { user: 'a', decision: 'Approved', time: 'x' },
        { user: 'b', decision: 'Approved', time: 'x' },
      ],
    });
    expect(phaseOf(two, 2, NOW)).to.equal('Approved');
    expect(
      phaseOf(
        apr({
          decisions: [
            { user: 'a', decision: 'Approved', time: 'x' },
            { user: 'a', decision: 'Approved', time: 'y' },
          ],
        }),
        2,
        NOW,
      ),
    ).to.equal('Pending');
    expect(
      phaseOf(
        apr({
          decisions: [
            { user: 'a', decision: 'Approved', time: 'x' },
            { user: 'b', decision: 'Denied', time: 'x' },
          ],
        }),
        1,
        NOW,
      ),
    ).to.equal('Denied');
    expect(phaseOf(apr(), 1, Date.parse('2026-11-26T10:06:00Z'))).to.equal('Expired');
    expect(phaseOf({ ...two, status: { phase: 'Used' } }, 2, NOW)).to.equal('Used');
  });
});
