/**
 * Approvals (review #17 R6, R8, R9) without a cluster: the person who triggered a run is recognised
 * under the Kubernetes usernames the API server gives them (admission and the proxy's count), one-shot
 * grants have a use-by time, and the Command column comes from the classification.
 */
import { expect } from 'chai';
import { admitApprovalUpdate } from '../../operator/approvals/admission.js';
import { parseApprovalAsk } from '../../operator/approvals/ask.js';
import type { ApprovalRequest } from '../../shared/contract/approval-request.js';
import { KubeApprovals } from '../../proxy/approvals/kube-approvals.js';
import { approvalSummary, SUMMARY_MAX } from '../../proxy/approvals/summary.js';
import { grantRefusal, oneShotUseWithinSeconds, type GrantContext } from '../../proxy/approvals/verify-grant.js';
import { isTriggerer, kubernetesUsernamesOf } from '../../shared/identity/trigger-username.js';
import type { Principal } from '../../proxy/identity/verify.js';
import type { ApprovalSpec, TriggerIssuerSpec } from '../../shared/contract/policy-types.js';
import { semanticErrors } from '../../shared/contract/validate-policy.js';
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';
import type { FeedFactory } from '../../proxy/cluster/object-feed.js';

const IDP = 'https://idp.example';
const NOW = Date.parse('2026-11-26T10:00:00Z');
const approval: ApprovalSpec = {
  mode: 'Hold',
  timeoutSeconds: 300,
  approvers: { groups: ['approvers'] },
  requiredApprovals: 1,
  retentionSeconds: 3600,
};
const apr = (requester: Partial<ApprovalRequest['spec']['requester']> = {}): ApprovalRequest => ({
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
      runId: 'run-1',
      triggeredBy: 'alice',
      triggeredByIssuer: IDP,
      ...requester,
    },
    command: { text: 'DELETE FROM t', sha256: 'a'.repeat(64) },
  },
});
const admit = (old: ApprovalRequest, username: string) => {
  const next = structuredClone(old);
  next.spec.decision = 'Approved';
  return admitApprovalUpdate(old, next, { username, groups: ['approvers'] }, approval, NOW);
};

describe('cp-approvals: the triggering person under their Kubernetes usernames (R8)', () => {
  const issuers = (kubernetesUsername?: TriggerIssuerSpec['kubernetesUsername']): TriggerIssuerSpec[] => [
    { issuer: IDP, audiences: ['a'], jwksFile: '/k', ...(kubernetesUsername ? { kubernetesUsername } : {}) },
  ];

  it('maps the person as the API server does: default <issuer>#<sub>, a stated prefix, or the email claim', () => {
    expect(kubernetesUsernamesOf({ iss: IDP, sub: 'alice' }, issuers())).to.deep.equal([`${IDP}#alice`]);
    expect(kubernetesUsernamesOf({ iss: IDP, sub: 'alice' }, issuers({ prefix: 'oidc:' }))).to.deep.equal([
      `${IDP}#alice`,
      'oidc:alice',
    ]);
    expect(
      kubernetesUsernamesOf({ iss: IDP, sub: 'u-123', email: 'Alice@Example.com' }, issuers({ claim: 'email' })),
    ).to.deep.equal([`${IDP}#u-123`, 'Alice@Example.com']);
    expect(
      kubernetesUsernamesOf({ iss: IDP, sub: 'u-123', email: 'a@x' }, issuers({ claim: 'email', prefix: 'corp/' })),
    ).to.include('corp/a@x');
  });

  it('admission refuses the recorded usernames and, failing closed, any name ending in #sub or :sub or equal to sub or email (any case)', () => {
    const req = apr({
      triggeredBy: 'u-123',
      triggeredByEmail: 'alice@example.com',
      triggeredByUsernames: ['corp/odd-name'],
    });
    for (const u of [
      'corp/odd-name',
      `${IDP}#u-123`,
      'oidc:u-123',
      'U-123',
      'https://other#U-123',
      'ALICE@example.com',
      `${IDP}#alice@example.com`,
    ]) {
      const r = admit(req, u);
      expect(r, u).to.deep.include({ allowed: false });
      expect((r as { message: string }).message, u).to.contain('no self-approval');
    }
    expect(admit(req, 'bob').allowed).to.equal(true);
    expect(admit(req, 'u-1234').allowed).to.equal(true);
  });

  it("the proxy does not count the person's approval under any of those names, from its own run token and policy", () => {
    const agent: Principal = {
      iss: 'https://op',
      sub: 'system:serviceaccount:agents:bot',
      iat: 0,
      exp: 0,
      claims: {},
      runId: 'run-1',
      triggeredBy: { iss: IDP, sub: 'u-123', email: 'alice@example.com' },
    };
    const g: GrantContext = {
      sha256: 'a'.repeat(64),
      commandText: 'DELETE FROM t',
      target: 't',
      policy: 'p',
      principal: agent,
      runId: 'run-1',
      approval,
      triggerIssuers: issuers({ prefix: 'corp/' }),
    };
    // The request as a hand-made object might say: nothing about the person. The session still knows.
    const bare = (user: string): ApprovalRequest => ({
      ...apr({ triggeredBy: undefined, triggeredByIssuer: undefined }),
      spec: {
        ...apr().spec,
        requester: { subject: agent.sub, runId: 'run-1' },
        decisions: [{ user, groups: ['approvers'], decision: 'Approved', time: '2026-11-26T10:01:00Z' }],
      },
      status: { phase: 'Approved' },
    });
    for (const u of ['corp/u-123', `${IDP}#u-123`, 'oidc:U-123', 'alice@example.com'])
      expect(grantRefusal(bare(u), g), u).to.match(/approval\(s\)/);
    expect(grantRefusal(bare('bob'), g)).to.equal(undefined);
  });

  it('isTriggerer does not match the empty name or an unrelated suffix', () => {
    expect(isTriggerer('', { sub: 'a' })).to.equal(false);
    expect(isTriggerer('xalice', { sub: 'alice' })).to.equal(false);
  });

  it('the policy field is validated; the ask carries issuer and email only with the person', () => {
    const p = {
      metadata: { name: 'p' },
      spec: {
        identity: {
          issuers: [],
          maxTokenLifetimeSeconds: 900,
          triggerIssuers: [{ issuer: IDP, audiences: ['a'], jwksFile: '/k', kubernetesUsername: { claim: 'name' } }],
        },
        targets: [],
      },
    } as unknown as AgentAccessPolicy;
    expect(semanticErrors(p).map((e) => e.path)).to.include('spec.identity.triggerIssuers[0].kubernetesUsername');
    const ask = {
      rule: 'r',
      target: 't',
      command: { text: 'x', sha256: 'a'.repeat(64) },
      requester: { subject: 's', runId: 'r', triggeredByIssuer: IDP },
    };
    expect(() => parseApprovalAsk(ask)).to.throw(/go with requester.triggeredBy/);
    expect(() => parseApprovalAsk({ ...ask, requester: { ...ask.requester, triggeredByUsernames: ['x'] } })).to.throw(
      /does not supply/,
    );
  });
});

describe('cp-approvals: one-shot grants (R9)', () => {
  it('are honoured for useWithinSeconds after approval, by default the request timeout', () => {
    expect(oneShotUseWithinSeconds(approval)).to.equal(300);
    expect(oneShotUseWithinSeconds({ ...approval, grant: { ttlSeconds: 0, useWithinSeconds: 60 } })).to.equal(60);
    expect(oneShotUseWithinSeconds(undefined)).to.equal(300);
  });

  it('a one-shot grant past its use-by time is not found; a use that could not be recorded releases the claim (nothing ran)', async () => {
    const requests: ApprovalRequest[] = [];
    // The broker's feed, as an unchanging list (the transports have their own e2e tests).
    const feeds = (() => ({
      on: () => undefined,
      onSync: () => undefined,
      list: () => requests,
      start: async () => undefined,
      stop: async () => undefined,
      synced: true,
    })) as unknown as FeedFactory;
    let now = Date.parse('2026-11-26T10:01:00Z');
    const broker = new KubeApprovals({
      feeds,
      namespace: 'agents',
      policy: 'p',
      podUid: 'uid-1',
      now: () => now,
    });
    const agent: Principal = {
      iss: 'https://op',
      sub: 'system:serviceaccount:agents:bot',
      iat: 0,
      exp: 0,
      claims: {},
      runId: 'run-1',
    };
    const request: ApprovalRequest = {
      ...apr(),
      metadata: { name: 'p-1', namespace: 'agents' },
      spec: {
        ...apr().spec,
        policy: 'p',
        target: 't',
        requester: { subject: agent.sub, runId: 'run-1', podUid: 'uid-1' },
        decisions: [{ user: 'bob', groups: ['approvers'], decision: 'Approved', time: '2026-11-26T10:01:00Z' }],
      },
      status: { phase: 'Approved' },
    };
    requests.push(request);
    const g: GrantContext = {
      sha256: 'a'.repeat(64),
      commandText: 'DELETE FROM t',
      target: 't',
      policy: 'p',
      principal: agent,
      runId: 'run-1',
      approval: { ...approval, grant: { ttlSeconds: 0, useWithinSeconds: 60 } },
    };
    now += 59_000;
    expect(broker.findGrant(g, 0)?.metadata.name).to.equal('p-1');
    expect(broker.claim('p-1')).to.equal(true);
    expect(broker.findGrant(g, 0)).to.equal(undefined);
    await broker.markUsed('p-1').then(
      () => expect.fail('recorded without an operator'),
      (e: Error) => expect(e.message).to.match(/operator/),
    );
    expect(broker.findGrant(g, 0)?.metadata.name).to.equal('p-1');
    now += 2_000;
    expect(broker.findGrant(g, 0)).to.equal(undefined);
  });
});

describe('cp-approvals: the Command column (R6)', () => {
  it('leads with kind, tables and effects; drops comments; masks literals', () => {
    const text =
      "/* SELECT count(*) FROM scratch -- read-only, safe to approve */ UPDATE scratch SET v = 9, w = 'secret' -- note\n WHERE true";
    const s = approvalSummary({ kind: 'UpdateStmt', effects: ['write'], tables: [{ name: 'scratch' }] }, text);
    expect(s).to.equal('UPDATE scratch (write): update scratch set v = ?n, w = ?s where true');
  });
  it('stays within the CRD limit, one line, even for long quoted identifiers; unlexable text shows the head only', () => {
    const s = approvalSummary(
      {
        kind: 'CreateTableAsStmt',
        effects: ['ddl', 'write'],
        tables: [{ schema: 's', name: 'x'.repeat(200) }, { name: 'a' }, { name: 'b' }, { name: 'c' }],
      },
      `CREATE TABLE "x\ny" AS SELECT 1 ${'-'.repeat(300)}`,
    );
    expect(s.length).to.be.at.most(SUMMARY_MAX);
    expect(s).to.match(/^CREATE TABLE AS s\.x{27}…, a, b \+1 \(ddl, write\): create table /);
    expect(s).to.not.match(/\n/);
    expect(
      approvalSummary(
        { kind: 'DeleteStmt', effects: ['write'], tables: [{ name: 't' }] },
        "DELETE FROM t WHERE a = 'unterminated",
      ),
    ).to.equal('DELETE t (write)');
  });
});
