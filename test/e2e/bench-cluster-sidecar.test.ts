/**
 * `npm run bench`'s cluster-mode memory section (test/bench/cluster-sidecar.ts) measures the sidecar as the
 * operator injects it. Checked here so the section keeps working: the proxy starts from its policy
 * reference against the real API server, enforces that policy, serves sessions made with the agent's
 * pod-bound token, and the figures come from that process.
 */
import { expect } from 'chai';
import { clusterSidecarMemory } from '../bench/cluster-sidecar.js';

type AuditLine = {
  event: { action: string };
  policy?: { namespace?: string };
  principal?: { kubernetes?: { pod?: string } };
};

const BIN = new URL('../../bin/agentgate.js', import.meta.url).pathname;

describe('bench: the sidecar as injected (cluster mode)', function () {
  this.timeout(600_000);

  it('starts from --policy-ref, serves sessions with the agent token, and reports its RSS', async () => {
    const m = await clusterSidecarMemory({ entry: BIN, sessions: 3 });
    expect(m.log).to.include('"message":"ready"');
    const records = m.audit
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AuditLine);
    const start = records.find((r) => r.event.action === 'proxy.start');
    expect(start?.policy?.namespace, 'the policy it enforces came from the cluster').to.match(/^bench-sidecar-/);
    const decided = records.filter((r) => r.event.action === 'statement.decision');
    expect(decided).to.have.length(3);
    for (const r of decided) expect(r.principal?.kubernetes?.pod, 'the agent token is pod-bound').to.equal('agent-pod');
    for (const v of [m.idleMiB, m.sessionsMiB, m.afterMiB]) expect(v).to.be.greaterThan(0);
  });
});
