/**
 * Hostile review of issue #15, rules on the triggering person: group names an IdP can be made to
 * assert that look like the ones a rule names (confusables, invisible characters, other normal forms,
 * Kubernetes-style names), and one issuer string behind two trigger issuers.
 */
import { expect } from 'chai';
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
const KEYCLOAK = 'https://kc.example/realms/corp';

const spec = (
  triggerIssuers: NonNullable<PolicySpec['identity']['triggerIssuers']>,
  rules: PolicySpec['rules'],
): PolicySpec => ({
  mode: 'Enforce',
  identity: {
    issuers: [{ issuer: 'https://run.example', audiences: ['agentgate'], jwksFile: 'x' }],
    maxTokenLifetimeSeconds: 900,
    requireTriggeredBy: true,
    triggerIssuers,
  },
  targets: [target],
  rules,
  defaultAction: 'Deny',
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

describe('rev15: rules on the triggering person under attack', () => {
  const okta = { issuer: OKTA, audiences: ['agentgate'], jwksUri: 'https://okta.example/keys', groupsClaim: 'groups' };
  const engine = new PolicyEngine(
    spec(
      [okta],
      [
        {
          name: 'approvers-write',
          when: {
            triggeredBy: { groups: ['agentgate:approvers', 'system:masters', 'Ärzte'], issuers: [OKTA] },
            sql: { effects: ['write'] },
          },
          action: 'Allow',
        },
      ],
    ),
  );

  it('look-alike group names (Cyrillic letters, zero-width and fullwidth characters, another Unicode normal form, padding) do not satisfy an Allow', () => {
    for (const g of [
      'agentgate:\u0430pprovers',
      'system:masters\u200b',
      '\uff53ystem:masters',
      'system\uff1amasters',
      'A\u0308rzte',
      ' agentgate:approvers',
      'AGENTGATE:APPROVERS',
      'agentgate:*',
    ]) {
      expect(engine.decide(write, target, { iss: OKTA, groups: [g] }).rule, JSON.stringify(g)).to.equal(
        'defaultAction',
      );
    }
    expect(engine.decide(write, target, { iss: OKTA, groups: ['agentgate:approvers'] }).rule).to.equal(
      'approvers-write',
    );
  });

  it('the exact name from another issuer does not satisfy a rule pinned to its IdP', () => {
    expect(
      engine.decide(write, target, { iss: 'https://partner-idp.example', groups: ['system:masters'] }).rule,
    ).to.equal('defaultAction');
  });

  it('one issuer string for an OIDC and a SAML trigger issuer is refused: run tokens and rules could not tell their people apart', () => {
    const saml = {
      issuer: KEYCLOAK,
      audiences: ['https://agentgate.example/sp'],
      saml: { metadataFile: '/etc/kc.xml', groupsAttribute: 'Role' },
    };
    const oidc = {
      issuer: KEYCLOAK,
      audiences: ['agentgate-cli'],
      jwksUri: `${KEYCLOAK}/protocol/openid-connect/certs`,
      groupsClaim: 'groups',
    };
    const rules: PolicySpec['rules'] = [
      {
        name: 'dba-writes',
        when: { triggeredBy: { groups: ['dba'], issuers: [KEYCLOAK] }, sql: { effects: ['write'] } },
        action: 'Allow',
      },
    ];
    expect(() => validatePolicy(doc(spec([oidc, saml], rules)))).to.throw(
      /another trigger issuer is https:\/\/kc.example\/realms\/corp too/,
    );
    expect(() => validatePolicy(doc(spec([oidc, { ...oidc, audiences: ['other-client'] }], rules)))).to.throw(
      /another trigger issuer is/,
    );
    validatePolicy(
      doc(
        spec(
          [oidc, { ...saml, issuer: `${KEYCLOAK}/saml` }],
          [
            {
              name: 'dba-writes',
              when: { triggeredBy: { groups: ['dba'], issuers: [KEYCLOAK] }, sql: { effects: ['write'] } },
              action: 'Allow',
            },
          ],
        ),
      ),
    );
  });
});
