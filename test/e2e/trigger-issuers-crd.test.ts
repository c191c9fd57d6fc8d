/**
 * The CRD as the real API server reads it: SAML trigger issuers and rules on the triggering person are
 * accepted (schema and CEL), an issuer that is both OIDC and SAML, a SAML issuer with no certificates
 * and groupsClaim on a SAML issuer are refused; the ApprovalRequest shows the person's groups.
 */
import { expect } from 'chai';
import { stringify } from 'yaml';
import { ns, testCluster, type TestCluster } from './cluster.js';

const NS = ns('e2e-saml15');
const CERT = 'MIIBszCCAVmgAwIBAgIUExample';

const policy = (trigger: Record<string, unknown>): Record<string, unknown> => ({
  apiVersion: 'agentgate.dev/v1alpha1',
  kind: 'AgentAccessPolicy',
  metadata: { name: 'saml', namespace: NS },
  spec: {
    identity: {
      issuers: [{ issuer: 'https://kubernetes.default.svc', audiences: ['agentgate'], kubernetes: true }],
      requireTriggeredBy: true,
      triggerIssuers: [trigger],
    },
    targets: [
      {
        name: 'db',
        protocol: 'postgres',
        listen: '127.0.0.1:15432',
        upstream: { host: 'db', port: 5432, database: 'd', user: 'u', sslMode: 'require' },
        credentials: { secretRef: { name: 's', key: 'k' } },
      },
    ],
    rules: [
      {
        name: 'contractors-no-writes',
        when: {
          triggeredBy: { groups: ['contractors'], issuers: ['https://idp.example/saml'] },
          sql: { effects: ['write'] },
        },
        action: 'Deny',
      },
    ],
    defaultAction: 'Allow',
  },
});

describe('SAML trigger issuers and rules on people, on the real API server (saml15)', function () {
  this.timeout(120_000);
  let c: TestCluster;
  const apply = (doc: unknown) => c.kubectl(['apply', '--dry-run=server', '-f', '-'], { input: stringify(doc) });

  before(async function () {
    this.timeout(1_200_000);
    c = await testCluster();
    await c.kubectl(['create', 'namespace', NS]);
  });

  it('accepts a SAML trigger issuer (certificates, metadata file or HTTPS metadata URL) and when.triggeredBy', async () => {
    const saml = {
      issuer: 'https://idp.example/saml',
      audiences: ['https://agentgate.example/sp'],
      saml: {
        certificates: [CERT],
        groupsAttribute: 'groups',
        clockSkewSeconds: 30,
        recipient: 'https://op.example/token',
      },
    };
    const r = await apply(policy(saml));
    expect(r.code, r.stderr).to.equal(0);
    const m = await apply(policy({ ...saml, saml: { metadataFile: '/etc/idp.xml', groupsAttribute: 'groups' } }));
    expect(m.code, m.stderr).to.equal(0);
    const u = await apply(
      policy({ ...saml, saml: { metadataUrl: 'https://idp.example/saml/metadata', groupsAttribute: 'groups' } }),
    );
    expect(u.code, u.stderr).to.equal(0);
    const plain = await apply(
      policy({ ...saml, saml: { metadataUrl: 'http://idp.example/saml/metadata', groupsAttribute: 'groups' } }),
    );
    expect(plain.code).to.not.equal(0);
  });

  it('refuses an issuer that is both OIDC and SAML, SAML without certificates, and groupsClaim on a SAML issuer', async () => {
    const both = await apply(
      policy({
        issuer: 'https://idp.example/saml',
        audiences: ['sp'],
        jwksUri: 'https://idp.example/keys',
        saml: { certificates: [CERT] },
      }),
    );
    expect(both.code).to.not.equal(0);
    expect(both.stderr).to.contain('set exactly one of jwksFile, jwksUri or saml');
    const none = await apply(
      policy({ issuer: 'https://idp.example/saml', audiences: ['sp'], saml: { groupsAttribute: 'groups' } }),
    );
    expect(none.stderr).to.contain('set exactly one of certificates, metadataFile or metadataUrl');
    const claim = await apply(
      policy({
        issuer: 'https://idp.example/saml',
        audiences: ['sp'],
        groupsClaim: 'groups',
        saml: { certificates: [CERT] },
      }),
    );
    expect(claim.stderr).to.contain('saml.groupsAttribute');
  });

  it("ApprovalRequests carry the person's groups and show them (kubectl get -o wide)", async () => {
    const r = await c.kubectl([
      'get',
      'crd',
      'approvalrequests.agentgate.dev',
      '-o',
      'jsonpath={.spec.versions[0].additionalPrinterColumns[*].name}',
    ]);
    expect(r.stdout).to.contain('Triggered By').and.contain('Groups');
  });
});
