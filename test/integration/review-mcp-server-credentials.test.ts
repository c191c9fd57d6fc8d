/**
 * Hostile review of MCP gating (#13): "env from Secrets — the agent never holds those credentials".
 * The sidecar knows the exact values it hands the server (upstream.env from Secrets and files, the URL
 * target's auth header) but does not mask them in what the server returns: a server that reports its
 * environment (the reference server-everything's get-env; a filesystem server whose tree holds
 * /proc/self/environ or a .env) hands the agent the credential, unless the policy denies that tool by
 * name. The detectors find a credential only if it happens to look like one.
 */
import { expect } from 'chai';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startHttpStack, type HttpStack } from '../support/http-stack.js';
import { bin, connectMcpClient, writeServerScript } from '../support/mcp-sidecar-fixtures.js';

const CREDENTIAL = 'q7Vd2mXpL9sTn4Rb8WcYh3Kf';

describe("review-mcp: the server's own credentials in what it returns", function () {
  this.timeout(60_000);
  let s: HttpStack;
  let client: Client;

  before(async () => {
    s = await startHttpStack({
      targets: [
        {
          name: 'everything',
          protocol: 'mcp',
          listen: '127.0.0.1:1',
          upstream: {
            command: bin('mcp-server-everything'),
            args: ['stdio'],
            env: [
              { name: 'CRM_API_TOKEN', valueFromFile: writeServerScript(CREDENTIAL, 'token', 'agentgate-review-mcp-') },
            ],
          },
        },
      ],
      masking: { detectors: ['email'], defaultStrategy: 'redact' },
      defaultAction: 'Allow',
    });
    client = await connectMcpClient(s, 'everything', 'agent-review-mcp', 'review-mcp');
  });
  after(async () => {
    await client?.close();
    await s?.stop();
  });

  it('a tool that reports its environment does not hand the agent the credential', async () => {
    const r = JSON.stringify(await client.callTool({ name: 'get-env', arguments: {} }));
    expect(r).to.contain('CRM_API_TOKEN');
    expect(r).to.not.contain(CREDENTIAL);
  });
});
