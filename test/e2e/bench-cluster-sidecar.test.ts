/**
 * `npm run bench`'s cluster-mode memory section (test/bench/cluster-sidecar.ts) measures the sidecar as the
 * operator injects it. Checked here so the section keeps measuring that: the measured process runs with
 * the injector's arguments (cluster mode, the operator's URLs), reaches the operator, and serves sessions
 * made with the agent's pod-bound token.
 */
import { expect } from 'chai';
import { clusterSidecarMemory } from '../bench/cluster-sidecar.js';
import { injectedSidecarProblems } from '../support/injected-sidecar-checks.js';

const BIN = new URL('../../bin/agentgate.js', import.meta.url).pathname;

describe('bench: the sidecar as injected (cluster mode)', function () {
  this.timeout(600_000);

  it('runs the sidecar as the injector starts it, serves sessions with the agent token, reports its RSS', async () => {
    const m = await clusterSidecarMemory({ entry: BIN, sessions: 3 });
    expect(injectedSidecarProblems(m, 3)).to.deep.equal([]);
    expect(m.log).to.include('"message":"ready"');
    for (const v of [m.idleMiB, m.sessionsMiB, m.afterMiB]) expect(v).to.be.greaterThan(0);
  });
});
