/**
 * Hostile review of the merged gate (issue #12): the MCP metric's tool label is taken from the tool name
 * the agent put in its call. The audit record masks that name (mcp/gate.ts callFields); the metric does
 * not, and the first 50 names per target win a label for good, so an agent can (1) write data the
 * masking hides into a Prometheus label and (2) crowd the real tools out into "_other".
 */
import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog } from '../../proxy/audit/audit-log.js';
import { Gate } from '../../proxy/gate/gate.js';
import type { Principal } from '../../proxy/identity/verify.js';
import { McpGate } from '../../proxy/mcp/gate.js';
import { callFacts } from '../../proxy/mcp/mcp-facts.js';
import { ProxyMetrics } from '../../proxy/observability/metrics.js';
import { compilePolicy } from '../../proxy/policy/runtime.js';
import type { AgentAccessPolicy, McpTargetSpec } from '../../shared/contract/policy-types.js';

const mcp = {
  name: 'files',
  protocol: 'mcp',
  listen: '127.0.0.1:3',
  upstream: { command: 'mcp-server-filesystem', args: ['/data'] },
} as unknown as McpTargetSpec;
const principal: Principal = { iss: 'https://issuer.example', sub: 'agent-1', iat: 0, exp: 2 ** 31, claims: {} };

function setup() {
  const rt = compilePolicy({
    apiVersion: 'agentgate.dev/v1alpha1',
    kind: 'AgentAccessPolicy',
    metadata: { name: 'p', namespace: 'agents' },
    spec: {
      mode: 'Enforce',
      defaultAction: 'Deny',
      identity: { issuers: [], maxTokenLifetimeSeconds: 900 },
      targets: [mcp],
      rules: [{ name: 'reads', when: { mcp: { tools: ['read_file'] } }, action: 'Allow' }],
      masking: { detectors: ['creditCard'], defaultStrategy: 'redact' },
    },
  } as unknown as AgentAccessPolicy);
  const audit = new AuditLog({ file: join(mkdtempSync(join(tmpdir(), 'agentgate-rg-')), 'audit.log') });
  const metrics = new ProxyMetrics();
  const gate = new McpGate(new Gate({ runtime: () => rt, audit, metrics }));
  const call = (tool: string) =>
    gate.decide({
      facts: callFacts('files', 'tools/call', { name: tool, arguments: {} }),
      target: mcp,
      principal,
      sessionId: 's',
      connectionId: 'c',
      client: { address: '127.0.0.1' },
      maskedArguments: '{}',
      requestBytes: 2,
    });
  return { metrics, call };
}

describe('review-gate: metric labels from attacker-chosen MCP tool names', () => {
  it('a card number sent as a (denied) tool name does not appear in clear in the metrics', async () => {
    const { metrics, call } = setup();
    expect(await call('4111111111111111')).to.include({ kind: 'refuse' });
    const m = await metrics.registry.metrics();
    expect(m).not.to.contain('4111111111111111');
  });

  it("50 made-up tool names do not push the server's real tool into _other", async () => {
    const { metrics, call } = setup();
    for (let i = 0; i < 50; i++) await call(`noise_${i}`);
    expect(await call('read_file')).to.include({ kind: 'forward' });
    const m = await metrics.registry.metrics();
    expect(m).to.contain(
      'agentgate_proxy_mcp_calls_total{target="files",method="tools/call",tool="read_file",decision="Allow",enforced="false"} 1',
    );
  });
});
