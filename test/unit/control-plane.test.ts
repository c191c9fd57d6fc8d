/**
 * The control plane's own checks, without a cluster: what releases a held statement (verify-grant),
 * who may write ApprovalRequest status (admission), when a proxy must fail closed (availability), and
 * the policy it then enforces.
 */
import { expect } from 'chai';
import { admitApprovalStatus } from '../../operator/approvals/admission.js';
import type { ApprovalDecision, ApprovalRequest } from '../../shared/contract/approval-request.js';
import { failClosedPolicy, FAIL_CLOSED_RULE } from '../../proxy/cluster/fail-closed-policy.js';
import { PolicyAvailability } from '../../proxy/cluster/policy-availability.js';
import { approvedAt, grantRefusal, type GrantContext } from '../../proxy/approvals/verify-grant.js';
import type { Principal } from '../../proxy/identity/verify.js';
import { PolicyEngine } from '../../proxy/gate/decide.js';
import type { AgentAccessPolicy, TargetSpec } from '../../shared/contract/policy-types.js';

const agent: Principal = {
  iss: 'https://issuer',
  sub: 'system:serviceaccount:agents:bot',
  iat: 0,
  exp: 0,
  claims: {},
  kubernetes: { namespace: 'agents', serviceAccount: 'bot', pod: 'bot-1' },
  triggeredBy: { iss: 'https://idp', sub: 'alice@example.com' },
};
const grant: GrantContext = {
  sha256: 'a'.repeat(64),
  commandText: 'DELETE FROM t',
  target: 'db',
  policy: 'p',
  principal: agent,
  runId: 'none',
  approval: {
    mode: 'Hold',
    timeoutSeconds: 300,
    approvers: { groups: ['approvers'], users: ['carol'] },
    requiredApprovals: 1,
    retentionSeconds: 3600,
  },
};
const decision = (
  user: string,
  groups: string[] = [],
  d: ApprovalDecision['decision'] = 'Approved',
  time = '2026-11-26T10:01:00Z',
): ApprovalDecision => ({ user, ...(groups.length ? { groups } : {}), decision: d, time });
const apr = (
  decisions: ApprovalDecision[],
  over: Partial<ApprovalRequest['spec']> = {},
  phase: NonNullable<ApprovalRequest['status']>['phase'] = 'Approved',
): ApprovalRequest => ({
  apiVersion: 'agentgate.dev/v1alpha1',
  kind: 'ApprovalRequest',
  metadata: { name: 'p-x', namespace: 'agents' },
  spec: {
    policy: 'p',
    rule: 'r',
    target: 'db',
    expiresAt: '2026-11-26T10:05:00Z',
    requester: { subject: agent.sub, runId: 'none' },
    command: { text: 'DELETE FROM t', sha256: 'a'.repeat(64) },
    decisions,
    ...over,
  },
  status: { phase },
});

describe('control plane: what releases a held statement (verify-grant)', () => {
  it("an approval by an approver the proxy's policy names releases it", () => {
    expect(grantRefusal(apr([decision('bob', ['approvers'])]), grant)).to.equal(undefined);
    expect(grantRefusal(apr([decision('carol')]), grant)).to.equal(undefined);
  });
  it('status.phase Approved without stamped decisions (a forged status) releases nothing', () => {
    expect(grantRefusal(apr([]), grant)).to.contain('0 approval(s)');
  });
  it('decisions by non-approvers, by the agent, its service account or the person who triggered the run do not count', () => {
    for (const d of [
      decision('mallory', ['devs']),
      decision(agent.sub, ['approvers']),
      decision('system:serviceaccount:agents:bot', ['approvers']),
      decision('alice@example.com', ['approvers']),
    ]) {
      expect(grantRefusal(apr([d]), grant), d.user).to.match(/approval\(s\)/);
    }
  });
  it('the requester fields of the request itself also exclude (a request created by hand naming someone else)', () => {
    expect(
      grantRefusal(
        apr([decision('dave', ['approvers'])], {
          requester: { subject: agent.sub, runId: 'none', triggeredBy: 'dave' },
        }),
        grant,
      ),
    ).to.match(/approval\(s\)/);
  });
  it('requiredApprovals counts distinct approvers; a denial anywhere refuses', () => {
    const two = { ...grant, approval: { ...grant.approval!, requiredApprovals: 2 } };
    expect(grantRefusal(apr([decision('bob', ['approvers']), decision('bob', ['approvers'])]), two)).to.contain(
      '1 approval(s)',
    );
    expect(grantRefusal(apr([decision('bob', ['approvers']), decision('carol')]), two)).to.equal(undefined);
    expect(grantRefusal(apr([decision('bob', ['approvers']), decision('carol', [], 'Denied')]), grant)).to.contain(
      'carol denied it',
    );
  });
  it('a request for another statement (hash or shown text), target, policy or requester releases nothing', () => {
    const ok = [decision('bob', ['approvers'])];
    expect(grantRefusal(apr(ok, { command: { text: 'SELECT 1', sha256: 'a'.repeat(64) } }), grant)).to.contain(
      'another statement',
    );
    expect(grantRefusal(apr(ok, { command: { text: 'DELETE FROM t', sha256: 'b'.repeat(64) } }), grant)).to.contain(
      'another statement',
    );
    expect(grantRefusal(apr(ok, { target: 'other' }), grant)).to.contain('another target');
    expect(grantRefusal(apr(ok, { policy: 'other' }), grant)).to.contain('another target');
    expect(grantRefusal(apr(ok, { requester: { subject: 'someone-else' } }), grant)).to.contain('someone else');
  });
  it("only the operator's phase Approved counts (Pending, Used, Denied do not)", () => {
    for (const phase of ['Pending', 'Used', 'Denied', 'Expired'] as const)
      expect(grantRefusal(apr([decision('bob', ['approvers'])], {}, phase), grant)).to.contain(phase);
  });
  it('a time-limited grant runs from the decision that completed the approval, as admission stamped it', () => {
    const two = { ...grant, approval: { ...grant.approval!, requiredApprovals: 2 } };
    const r = apr([
      decision('carol', [], 'Approved', '2026-11-26T10:03:00Z'),
      decision('bob', ['approvers'], 'Approved', '2026-11-26T10:01:00Z'),
    ]);
    expect(new Date(approvedAt(r, two)).toISOString()).to.equal('2026-11-26T10:03:00.000Z');
  });
});

describe("control plane: ApprovalRequest status is the operator's alone (admission)", () => {
  it("refuses status writes by anyone but the operator's own user", () => {
    expect(
      admitApprovalStatus(
        { username: 'system:serviceaccount:agentgate-system:agentgate-operator' },
        'system:serviceaccount:agentgate-system:agentgate-operator',
      ).allowed,
    ).to.equal(true);
    for (const u of ['system:serviceaccount:agents:bot', 'carol', undefined]) {
      const r = admitApprovalStatus(
        { ...(u ? { username: u } : {}) },
        'system:serviceaccount:agentgate-system:agentgate-operator',
      );
      expect(r.allowed, String(u)).to.equal(false);
      expect((r as { message: string }).message).to.contain('written by the agentgate operator only');
    }
    expect(admitApprovalStatus({ username: 'x' }, undefined).allowed).to.equal(false);
  });
});

describe('control plane: when a proxy must fail closed (PolicyAvailability)', () => {
  const ref = { namespace: 'agents', name: 'billing-agent' };
  const live = (t: number, staleness = 60_000): PolicyAvailability => {
    const a = new PolicyAvailability(ref, staleness);
    a.setPolicy({ uid: 'u1' }, t);
    a.setCompiled({ uid: 'u1' }, t);
    return a;
  };
  it('a current policy is available', () => {
    expect(live(0).reason(1000)).to.equal(undefined);
  });
  it('a deleted policy, or a deleted compiled policy, fails closed with the reason', () => {
    const a = live(0);
    a.setPolicy(null, 10);
    expect(a.reason(20)).to.equal('policy agents/billing-agent was deleted');
    const b = live(0);
    b.setCompiled(null, 10);
    expect(b.reason(20)).to.contain('ConfigMap agentgate-policy-billing-agent) was deleted');
  });
  it('a policy deleted and created again stays closed until its own compiled version arrives', () => {
    const a = live(0);
    a.setPolicy(null, 1);
    a.setPolicy({ uid: 'u2' }, 2);
    expect(a.reason(3)).to.contain('deleted and created again');
    a.setCompiled({ uid: 'u2' }, 4);
    expect(a.reason(5)).to.equal(undefined);
  });
  it('no answer from the API server for longer than the staleness bound fails closed; an answer restores', () => {
    const a = live(0, 60_000);
    expect(a.reason(60_000)).to.equal(undefined);
    expect(a.reason(60_001)).to.contain('not read from the control plane for 60 s (staleness bound 60 s)');
    a.heard('policy', 70_000);
    expect(a.reason(70_000), 'one of two watches is still silent').to.contain('not read from the control plane');
    a.heard('compiled', 70_000);
    expect(a.reason(70_001)).to.equal(undefined);
  });
});

describe('control plane: the fail-closed policy', () => {
  it('denies every statement (also in Audit mode) naming the reason; approvals are gone', () => {
    const policy = {
      apiVersion: 'agentgate.dev/v1alpha1',
      kind: 'AgentAccessPolicy',
      metadata: { name: 'p', namespace: 'agents' },
      spec: {
        mode: 'Audit',
        defaultAction: 'Allow',
        identity: { issuers: [], maxTokenLifetimeSeconds: 900 },
        targets: [
          {
            name: 'db',
            protocol: 'postgres',
            access: 'ReadWrite',
            listen: '127.0.0.1:0',
            upstream: { host: 'x', port: 5432, database: 'd' },
            credentials: { passwordEnv: 'X' },
          },
        ],
        rules: [{ name: 'allow', action: 'Allow' }],
        approval: { mode: 'Hold' },
      },
    } as unknown as AgentAccessPolicy;
    const closed = failClosedPolicy(policy, 'policy agents/p was deleted');
    expect(closed.spec.approval).to.equal(undefined);
    const d = new PolicyEngine(closed.spec).decide(
      {
        text: 'SELECT 1',
        kind: 'SelectStmt',
        effects: ['read'],
        tables: [],
        functions: [],
        unboundedWrite: false,
        liftsReadOnly: false,
        reasons: [],
      } as never,
      closed.spec.targets[0] as TargetSpec,
    );
    expect(d).to.deep.include({ action: 'Deny', rule: FAIL_CLOSED_RULE, blocked: true });
    expect(d.message).to.contain('policy agents/p was deleted');
  });
});
