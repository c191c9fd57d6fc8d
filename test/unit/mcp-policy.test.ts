/** Policy validation of MCP targets and when.mcp rules, and the MCP rule engine on its own. */
import { expect } from 'chai';
import { validatePolicy } from '../../shared/contract/validate-policy.js';
import { McpPolicyEngine } from '../../proxy/mcp/decide-mcp.js';
import { callFacts } from '../../proxy/mcp/mcp-facts.js';
import { HttpPolicyEngine } from '../../proxy/http/decide-http.js';
import { buildFacts } from '../../proxy/http/request-facts.js';
import { parseRequestPath } from '../../shared/policy-language/path-template.js';
import type { HttpTargetSpec, McpTargetSpec, PolicySpec } from '../../shared/contract/policy-types.js';

const doc = (spec: Record<string, unknown>): unknown => ({
  apiVersion: 'agentgate.dev/v1alpha1',
  kind: 'AgentAccessPolicy',
  metadata: { name: 'p', namespace: 'agents' },
  spec: {
    identity: { issuers: [{ issuer: 'https://i', audiences: ['a'], jwksFile: '/k' }] },
    defaultAction: 'Deny',
    ...spec,
  },
});
const errorsOf = (spec: Record<string, unknown>): string => {
  try {
    validatePolicy(doc(spec), 't');
    return '';
  } catch (e) {
    return (e as Error).message;
  }
};
const stdio = {
  name: 'files',
  protocol: 'mcp',
  listen: '127.0.0.1:7000',
  upstream: {
    command: 'mcp-server-filesystem',
    args: ['/data'],
    env: [{ name: 'TOKEN', secretRef: { name: 's', key: 'token' } }],
  },
};

describe('MCP policy', () => {
  it('accepts stdio and url targets with when.mcp rules', () => {
    expect(
      errorsOf({
        targets: [
          stdio,
          {
            name: 'remote',
            protocol: 'mcp',
            listen: '127.0.0.1:7001',
            upstream: { url: 'https://mcp.internal/mcp', transport: 'sse' },
            credentials: { passwordEnv: 'T' },
            mcp: { capabilities: { sampling: true }, acceptedTools: [{ tool: 'x', sha256: 'a'.repeat(64) }] },
          },
        ],
        rules: [
          {
            name: 'r',
            when: {
              mcp: {
                tools: ['read_*'],
                arguments: [{ path: '$.path', pattern: '/etc/*' }],
                cel: 'request.arguments.path.startsWith("/etc")',
              },
            },
            action: 'Deny',
          },
        ],
      }),
    ).to.equal('');
  });

  it('refuses a target with both or neither of url and command, and mixed rules', () => {
    expect(errorsOf({ targets: [{ ...stdio, upstream: { command: 'x', url: 'http://127.0.0.1:1/mcp' } }] })).to.match(
      /exactly one of url/,
    );
    expect(errorsOf({ targets: [{ ...stdio, upstream: {} }] })).to.match(/exactly one of url/);
    expect(
      errorsOf({
        targets: [stdio],
        rules: [{ name: 'r', when: { mcp: { tools: ['a'] }, http: { methods: ['GET'] } }, action: 'Deny' }],
      }),
    ).to.match(/only one kind/);
    expect(
      errorsOf({
        targets: [stdio],
        rules: [{ name: 'r', when: { mcp: { tools: ['a'], cel: 'request.x.matches("a+")' } }, action: 'Deny' }],
      }),
    ).to.match(/matchesRe2/);
    expect(
      errorsOf({
        targets: [stdio],
        rules: [{ name: 'r', when: { mcp: { arguments: [{ path: '$.a' }] } }, action: 'Deny' }],
      }),
    ).to.match(/arguments apply to tools/);
  });

  it('decides by tool glob and argument, unclear input never allows, and lists only callable tools', () => {
    const spec = {
      defaultAction: 'Allow',
      rules: [
        { name: 'no-rm', when: { mcp: { tools: ['delete_*'] } }, action: 'Deny' },
        {
          name: 'no-etc',
          when: { mcp: { tools: ['read_*'], arguments: [{ path: '$.path', pattern: '/etc/*' }] } },
          action: 'Deny',
        },
        {
          name: 'only-tmp',
          when: { mcp: { tools: ['write_file'], arguments: [{ path: '$.paths[*]', pattern: '/tmp/*' }] } },
          action: 'Allow',
        },
        { name: 'rest-write', when: { mcp: { tools: ['write_file'] } }, action: 'Deny' },
      ],
      targets: [],
    } as unknown as PolicySpec;
    const e = new McpPolicyEngine(spec);
    const t = stdio as unknown as McpTargetSpec;
    const p = { sub: 'a', iss: 'i' };
    const call = (name: string, args: Record<string, unknown>): string =>
      e.decide(callFacts('files', 'tools/call', { name, arguments: args }), t, p).rule;
    expect(call('delete_file', {})).to.equal('no-rm');
    expect(call('read_file', { path: '/etc/passwd' })).to.equal('no-etc');
    expect(call('read_file', { path: '/home/x' })).to.equal('defaultAction');
    expect(call('write_file', { paths: ['/tmp/a', '/tmp/b'] })).to.equal('only-tmp');
    // One value outside: the Allow rule does not match.
    expect(call('write_file', { paths: ['/tmp/a', '/etc/b'] })).to.equal('rest-write');
    expect(e.toolListed('delete_file', t, p)).to.equal(false);
    expect(e.toolListed('read_file', t, p)).to.equal(true);
    expect(e.toolListed('write_file', t, p)).to.equal(true);
    // A resources/read is not a tool call.
    expect(e.decide(callFacts('files', 'resources/read', { uri: 'file:///etc/x' }), t, p).rule).to.equal(
      'defaultAction',
    );
  });

  it('an mcp rule never matches an HTTP request (nor SQL)', () => {
    const spec = {
      defaultAction: 'Allow',
      rules: [{ name: 'mcp-only', when: { mcp: { tools: ['x'] } }, action: 'Deny' }],
      targets: [],
    } as unknown as PolicySpec;
    const h = new HttpPolicyEngine(spec);
    const facts = buildFacts('api', 'GET', parseRequestPath('/x'), {}, Buffer.alloc(0));
    expect(
      h.decide(facts, { name: 'api', protocol: 'http', access: 'ReadWrite' } as HttpTargetSpec, { sub: 'a', iss: 'i' })
        .rule,
    ).to.equal('defaultAction');
  });
});
