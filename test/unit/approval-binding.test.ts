/**
 * Issue #17 class 1, without a cluster: a grant binds the run, the pod, the target and the exact
 * statement; only the operator creates requests; what a proxy may put in its POST /approvals body.
 */
import { expect } from 'chai';
import { admitApprovalCreate } from '../../operator/approvals/admission.js';
import { parseApprovalAsk } from '../../operator/approvals/ask.js';
import { policyOfPod } from '../../operator/approvals/create-endpoint.js';
import type { ApprovalRequest } from '../../shared/contract/approval-request.js';
import { grantRefusal, type GrantContext } from '../../proxy/approvals/verify-grant.js';
import type { Principal } from '../../proxy/identity/verify.js';

const agent: Principal = {
  iss: 'https://operator',
  sub: 'system:serviceaccount:agents:bot',
  iat: 0,
  exp: 0,
  claims: {},
  runId: 'run-A',
  triggeredBy: { iss: 'https://idp', sub: 'alice' },
};
const sha = 'b'.repeat(64);
const grant: GrantContext = {
  sha256: sha,
  commandText: 'DELETE FROM t',
  target: 'billing-db',
  policy: 'p',
  principal: agent,
  runId: 'run-A',
  podUid: 'uid-1',
  approval: {
    mode: 'Hold',
    timeoutSeconds: 300,
    approvers: { users: ['carol'] },
    requiredApprovals: 1,
    retentionSeconds: 3600,
  },
};
const apr = (
  over: Partial<ApprovalRequest['spec']['requester']> = {},
  spec: Partial<ApprovalRequest['spec']> = {},
): ApprovalRequest => ({
  apiVersion: 'agentgate.dev/v1alpha1',
  kind: 'ApprovalRequest',
  metadata: { name: 'p-1', namespace: 'agents' },
  spec: {
    policy: 'p',
    rule: 'r',
    target: 'billing-db',
    expiresAt: '2026-11-30T10:00:00Z',
    requester: { subject: agent.sub, runId: 'run-A', podUid: 'uid-1', triggeredBy: 'alice', ...over },
    command: { text: 'DELETE FROM t', sha256: sha },
    decisions: [{ user: 'carol', decision: 'Approved', time: '2026-11-30T09:00:00Z' }],
    ...spec,
  },
  status: { phase: 'Approved' },
});

describe('approval binding: a grant is for one run, pod, target and statement', () => {
  it('releases the statement it was approved for', () => {
    expect(grantRefusal(apr(), grant)).to.equal(undefined);
  });
  it("a grant approved in run A does not release run B's statement (same agent)", () => {
    expect(grantRefusal(apr(), { ...grant, runId: 'run-B' })).to.equal('it was requested in another run');
    expect(grantRefusal(apr({ runId: undefined }), grant)).to.equal('it was requested in another run');
  });
  it("a grant asked for by another pod does not release this pod's statement", () => {
    expect(grantRefusal(apr({ podUid: 'uid-2' }), grant)).to.equal('it was requested from another pod');
  });
  it("a grant for target billing-db does not run on replica-db; showing a SELECT with a DELETE's hash releases neither", () => {
    expect(grantRefusal(apr(), { ...grant, target: 'replica-db' })).to.contain('another target');
    expect(grantRefusal(apr({}, { command: { text: 'SELECT count(*) FROM t', sha256: sha } }), grant)).to.contain(
      'another statement',
    );
  });
});

describe('approval creation: the operator alone, from what the proxy may say', () => {
  const operator = 'system:serviceaccount:agentgate:agentgate-operator';
  it("admission refuses a CREATE by anyone but the operator (the agent's service account, a user)", () => {
    for (const username of ['system:serviceaccount:agents:bot', 'dev-user', undefined]) {
      const r = admitApprovalCreate(apr({}, { decisions: [] }), username ? { username } : {}, operator);
      expect(r.allowed, String(username)).to.equal(false);
    }
    expect(admitApprovalCreate(apr({}, { decisions: [] }), { username: operator }, undefined).allowed).to.equal(false);
    expect(admitApprovalCreate(apr({}, { decisions: [] }), { username: operator }, operator).allowed).to.equal(true);
  });
  const ask = {
    rule: 'r',
    target: 'billing-db',
    command: { text: 'DELETE FROM t', sha256: sha },
    requester: { subject: agent.sub, runId: 'run-A' },
  };
  it('the body cannot name a policy, a pod, a service account or an expiry', () => {
    expect(parseApprovalAsk(ask).requester).to.deep.equal({ subject: agent.sub, runId: 'run-A' });
    for (const extra of [{ policy: 'lenient' }, { expiresAt: '2099-01-01T00:00:00Z' }, { decisions: [] }])
      expect(() => parseApprovalAsk({ ...ask, ...extra })).to.throw(/does not supply/);
    for (const r of [{ serviceAccount: 'agents/other' }, { pod: 'other' }, { podUid: 'x' }])
      expect(() => parseApprovalAsk({ ...ask, requester: { ...ask.requester, ...r } })).to.throw(/does not supply/);
    expect(() => parseApprovalAsk({ ...ask, command: { ...ask.command, sha256: 'X' } })).to.throw(/sha256/);
    expect(() => parseApprovalAsk({ ...ask, requester: { subject: agent.sub } })).to.throw(/runId/);
  });
  it("the policy is the one the injector stamped on the pod, in the pod's namespace; a container's name or args never say", () => {
    const pod = (args: string[], ann?: string) =>
      ({
        metadata: { name: 'a', ...(ann ? { annotations: { 'agentgate.dev/status': ann } } : {}) },
        spec: {
          containers: [{ name: 'agent' }],
          initContainers: args.length ? [{ name: 'agentgate-proxy', args }] : [],
        },
      }) as never;
    expect(
      policyOfPod(
        pod(['proxy', '--policy-ref', 'agents/billing'], JSON.stringify({ policy: 'agents/billing' })),
        'agents',
      ),
    ).to.equal('billing');
    expect(
      policyOfPod(
        pod(['proxy', '--policy-ref', 'agents/lenient'], JSON.stringify({ policy: 'agents/billing' })),
        'agents',
      ),
    ).to.equal('billing');
    expect(policyOfPod(pod([], JSON.stringify({ policy: 'agents/billing' })), 'agents')).to.equal('billing');
    expect(() => policyOfPod(pod(['proxy', '--policy-ref', 'agents/billing']), 'agents')).to.throw(
      /no agentgate proxy/,
    );
    expect(() => policyOfPod(pod([], JSON.stringify({ policy: 'other/billing' })), 'agents')).to.throw(
      /no agentgate proxy/,
    );
    expect(() => policyOfPod(pod([], JSON.stringify({ policy: 'agents/billing/x' })), 'agents')).to.throw(
      /no agentgate proxy/,
    );
    expect(() => policyOfPod(pod([], '{not json'), 'agents')).to.throw(/no agentgate proxy/);
    expect(() => policyOfPod(pod([]), 'agents')).to.throw(/no agentgate proxy/);
  });
});
