/**
 * `npm run bench`'s cluster-mode memory section (test/bench/cluster-sidecar.ts) measures the sidecar as the
 * operator injects it. Checked here so the section keeps measuring that: the measured process runs with
 * the injector's arguments (cluster mode, the operator's URLs), reaches the operator, and serves sessions
 * made with the agent's pod-bound token, under the container's memory limit.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { clusterSidecarMemory } from '../bench/cluster-sidecar.js';
import { injectedSidecarProblems } from '../support/injected-sidecar-checks.js';

const BIN = new URL('../../bin/agentgate.js', import.meta.url).pathname;

describe('bench: the sidecar as injected (cluster mode)', function () {
  this.timeout(600_000);

  it('runs the sidecar as the injector starts it, serves sessions with the agent token, reports its RSS', async () => {
    let cgroup = '';
    const m = await clusterSidecarMemory({
      entry: BIN,
      sessions: 3,
      settleSeconds: 2,
      idleWindowSeconds: 2,
      atIdle: async (pid) => void (cgroup = readFileSync(`/proc/${pid}/cgroup`, 'utf8')),
    });
    expect(injectedSidecarProblems(m, 3)).to.deep.equal([]);
    expect(m.log).to.include('"message":"ready"');
    // Under the container's memory limit, as in its pod: Node sizes V8's heap from it.
    expect(m.memory).to.match(/^384Mi memory limit \(cgroup (\S+)\)$/);
    expect(cgroup).to.include(/\(cgroup \S*\/(agentgate-bench-sidecar-[\d-]+)\)/.exec(m.memory)![1]);
  });
});
