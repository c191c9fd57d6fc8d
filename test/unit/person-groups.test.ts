/**
 * The person's groups travel: from the IdP's claim into the run token, through the proxy's run-token
 * check into rules (`when.triggeredBy`), approvals and the audit record — and a rule on people is one
 * that can match (the policy refuses one that an agent's own token, or an IdP stating no groups, skips).
 */
import { expect } from 'chai';
import { parseApprovalAsk } from '../../operator/approvals/ask.js';
import { groupsFromClaim } from '../../operator/identity/person-groups.js';
import { checkRunToken } from '../../proxy/identity/run-token.js';
import { PolicyEngine } from '../../proxy/gate/decide.js';
import type { AgentAccessPolicy, PolicySpec, TargetSpec } from '../../shared/contract/policy-types.js';
import { validatePolicy } from '../../shared/contract/validate-policy.js';
import type { Classification } from '../../proxy/sql/types.js';

const target: TargetSpec = {
  name: 'db',
  protocol: 'postgres',
  listen: '127.0.0.1:15432',
  access: 'ReadWrite',
  upstream: { host: 'h', port: 5432, database: 'd', user: 'u', sslMode: 'disable' },
  credentials: { passwordEnv: 'P' },
};
const write: Classification = {
  text: 'UPDATE t SET a = 1 WHERE id = 1',
  kind: 'update',
  effects: ['write'],
  tables: [{ schema: 'public', name: 't', access: ['write'] }],
  functions: [],
  unboundedWrite: false,
  liftsReadOnly: false,
  reasons: [],
};
const OKTA = 'https://okta.example';
const ADFS = 'https://adfs.example/adfs/services/trust';

const spec = (o: Partial<PolicySpec> = {}): PolicySpec => ({
  mode: 'Enforce',
  identity: {
    issuers: [{ issuer: 'https://run.example', audiences: ['agentgate'], jwksFile: 'x' }],
    maxTokenLifetimeSeconds: 900,
    requireTriggeredBy: true,
    triggerIssuers: [
      { issuer: OKTA, audiences: ['agentgate'], jwksUri: 'https://okta.example/keys', groupsClaim: 'groups' },
      {
        issuer: ADFS,
        audiences: ['https://agentgate.example/sp'],
        saml: { metadataFile: '/etc/adfs.xml', groupsAttribute: 'http://schemas.xmlsoap.org/claims/Group' },
      },
    ],
  },
  targets: [target],
  rules: [
    {
      name: 'contractors-no-writes',
      when: { triggeredBy: { groups: ['contractors'] }, sql: { effects: ['write'] } },
      action: 'Deny',
    },
    {
      name: 'okta-dba-writes',
      when: { triggeredBy: { groups: ['dba'], issuers: [OKTA] }, sql: { effects: ['write'] } },
      action: 'Allow',
    },
  ],
  defaultAction: 'RequireApproval',
  approval: {
    mode: 'Hold',
    timeoutSeconds: 60,
    approvers: { groups: ['sre'] },
    requiredApprovals: 1,
    retentionSeconds: 3600,
  },
  ...o,
});
const doc = (s: PolicySpec): AgentAccessPolicy =>
  JSON.parse(
    JSON.stringify({
      apiVersion: 'agentgate.dev/v1alpha1',
      kind: 'AgentAccessPolicy',
      metadata: { name: 'p', namespace: 'agents' },
      spec: s,
    }),
  );

describe("the person's groups (saml15)", () => {
  describe('rules: when.triggeredBy', () => {
    const engine = new PolicyEngine(spec());
    it('matches a person in any listed group; the first matching rule decides', () => {
      expect(engine.decide(write, target, { iss: OKTA, groups: ['eng', 'contractors'] }).rule).to.equal(
        'contractors-no-writes',
      );
      expect(engine.decide(write, target, { iss: OKTA, groups: ['dba'] })).to.include({
        rule: 'okta-dba-writes',
        action: 'Allow',
      });
    });
    it('a group name from another IdP does not satisfy a rule pinned to an issuer', () => {
      expect(engine.decide(write, target, { iss: ADFS, groups: ['dba'] }).rule).to.equal('defaultAction');
    });
    it('no person (no run token), or a person without groups, never matches', () => {
      expect(engine.decide(write, target).rule).to.equal('defaultAction');
      expect(engine.decide(write, target, { iss: OKTA }).rule).to.equal('defaultAction');
    });
    it('group names match exactly (no case folding, no globbing)', () => {
      expect(engine.decide(write, target, { iss: OKTA, groups: ['DBA', 'db*'] }).rule).to.equal('defaultAction');
    });
  });

  describe('policy validation', () => {
    it('accepts rules on people when run tokens are required and every issuer the rule sees states groups', () => {
      validatePolicy(doc(spec()));
    });
    it("refuses a rule on people without requireTriggeredBy (an agent's own token would skip it)", () => {
      const s = spec();
      s.identity.requireTriggeredBy = false;
      expect(() => validatePolicy(doc(s))).to.throw(
        /spec.rules\[0\].when.triggeredBy: matching on who triggered the run needs identity.requireTriggeredBy: true/,
      );
    });
    it('refuses a group rule that sees an issuer stating no groups, and an unknown issuer', () => {
      const s = spec();
      delete s.identity.triggerIssuers![1]!.saml!.groupsAttribute;
      expect(() => validatePolicy(doc(s))).to.throw(
        /trigger issuer https:\/\/adfs.example\/adfs\/services\/trust states no groups \(set saml.groupsAttribute/,
      );
      s.rules![0]!.when!.triggeredBy!.issuers = [OKTA];
      validatePolicy(doc(s));
      s.rules![0]!.when!.triggeredBy!.issuers = ['https://nobody.example'];
      expect(() => validatePolicy(doc(s))).to.throw(/no trigger issuer "https:\/\/nobody.example"/);
    });
  });

  describe("the ID token's groups claim", () => {
    it('a list or a single name; anything else is refused, never read as "no groups"', () => {
      expect(groupsFromClaim({ groups: ['a', 'b', 'a'] }, 'groups')).to.deep.equal(['a', 'b']);
      expect(groupsFromClaim({ groups: 'a' }, 'groups')).to.deep.equal(['a']);
      expect(groupsFromClaim({}, 'groups')).to.deep.equal([]);
      expect(() => groupsFromClaim({ groups: [1] }, 'groups')).to.throw(/list of group names/);
      expect(() => groupsFromClaim({ groups: { admin: true } }, 'groups')).to.throw(/list of group names/);
      expect(() => groupsFromClaim({ groups: Array.from({ length: 257 }, (_, i) => `g${i}`) }, 'groups')).to.throw(
        /more than 256/,
      );
    });
  });

  describe('the run token at the proxy', () => {
    const ctx = { issuer: 'https://run.example', policy: 'agents/p', identity: spec().identity };
    const token = (groups: unknown) => ({
      iss: 'https://run.example',
      sub: 'alice',
      run_id: 'r1',
      policy: 'agents/p',
      triggered_by_iss: OKTA,
      triggered_by_groups: groups,
      act: {
        sub: 'system:serviceaccount:agents:a',
        iss: 'k',
        kubernetes: { namespace: 'agents', serviceAccount: 'a' },
      },
    });
    it('carries the groups to the principal; malformed groups refuse the token', () => {
      expect(checkRunToken(token(['dba']), ctx)!.triggeredBy).to.deep.equal({
        iss: OKTA,
        sub: 'alice',
        groups: ['dba'],
      });
      expect(() => checkRunToken(token('dba'), ctx)).to.throw(/triggered_by_groups/);
      expect(() => checkRunToken(token(['']), ctx)).to.throw(/triggered_by_groups/);
    });
  });

  describe('approval requests show them', () => {
    const ask = (requester: Record<string, unknown>) => ({
      rule: 'r',
      target: 'db',
      command: { text: 'UPDATE t SET a = 1', sha256: 'a'.repeat(64) },
      requester: { subject: 's', runId: 'r1', ...requester },
    });
    it("the proxy may state the person's groups with the person; not alone, not malformed", () => {
      expect(
        parseApprovalAsk(ask({ triggeredBy: 'alice', triggeredByIssuer: OKTA, triggeredByGroups: ['dba'] })).requester
          .triggeredByGroups,
      ).to.deep.equal(['dba']);
      expect(() => parseApprovalAsk(ask({ triggeredByGroups: ['dba'] }))).to.throw(/goes with requester.triggeredBy/);
      expect(() => parseApprovalAsk(ask({ triggeredBy: 'alice', triggeredByGroups: 'dba' }))).to.throw(/list of names/);
    });
  });
});
