/**
 * Hostile review of the merged gate (issue #12): the MCP metric's tool label is taken from the tool name
 * the agent put in its call. The audit record masks that name (mcp/gate.ts callFields); the metric does
 * not, and the first 50 names per target win a label for good, so an agent can (1) write data the
 * masking hides into a Prometheus label and (2) crowd the real tools out into "_other".
 */
import { expect } from 'chai';
import { fileAuditLog, mcpTarget as mcp, meteredMcpGate, policyRuntime } from '../support/gate-fixtures.js';

function setup() {
  const rt = policyRuntime({
    defaultAction: 'Deny',
    targets: [mcp],
    rules: [{ name: 'reads', when: { mcp: { tools: ['read_file'] } }, action: 'Allow' }],
    masking: { detectors: ['creditCard'], defaultStrategy: 'redact' },
  });
  const { metrics, call } = meteredMcpGate(rt, fileAuditLog('agentgate-rg-').audit);
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
