/**
 * Review of MCP targets (#13): a url upstream's caFile and serverName were accepted and then ignored by
 * the MCP client (it trusts the system store and the URL's host name): refused until they are honoured.
 */
import { expect } from 'chai';
import { validatePolicy } from '../../shared/contract/validate-policy.js';

const errorsOf = (upstream: Record<string, unknown>): string => {
  try {
    validatePolicy(
      {
        apiVersion: 'agentgate.dev/v1alpha1',
        kind: 'AgentAccessPolicy',
        metadata: { name: 'p', namespace: 'agents' },
        spec: {
          identity: { issuers: [{ issuer: 'https://i', audiences: ['a'], jwksFile: '/k' }] },
          defaultAction: 'Deny',
          targets: [{ name: 'remote', protocol: 'mcp', listen: '127.0.0.1:7000', upstream }],
        },
      },
      't',
    );
    return '';
  } catch (e) {
    return (e as Error).message;
  }
};

describe('rev13: MCP url upstream TLS settings', () => {
  it('a plain https upstream is valid', () => {
    expect(errorsOf({ url: 'https://mcp.internal/mcp' })).to.equal('');
  });
  for (const k of ['caFile', 'serverName'])
    it(`refuses ${k}, which the MCP client would not apply`, () => {
      expect(errorsOf({ url: 'https://mcp.internal/mcp', [k]: k === 'caFile' ? '/ca.pem' : 'mcp' })).to.include(
        `upstream.${k}`,
      );
    });
});
