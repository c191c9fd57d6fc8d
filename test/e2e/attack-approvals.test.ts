/**
 * A hostile agent against approvals (issue #17, class 1), on a real API server with the chart's own
 * roles. The agent holds its service account's token (bound to the chart's agentgate-proxy role),
 * never the proxy's pod-bound token; a plain user has only what RBAC gives. An approval must grant
 * exactly what the approvers were shown, for the pod and target that asked: requests are created by
 * the operator only, from the proxy's pod token; the policy (approvers, quorum) is the pod's; a grant
 * is not usable from another pod or on another target; retries join the open request (and a one-shot
 * grant runs one of them); creation is limited per pod. (The run binding is in test/unit/approval-binding.test.ts: it needs run tokens.)
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { LocalStack } from '../../proxy/local/stack.js';
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';
import { approvalsSuite, type ApprovalsFixture } from './approvals-fixture.js';
import { holding } from './approval-watch.js';
import { eventually, ns, type TestCluster } from './cluster.js';

const NS = ns('e2e-attack-apr');
const SYSTEM = ns('agentgate-attack-apr');
const CONFIG = ns('agentgate-attack-apr');

describe('attack: an approval grants exactly what the approvers were shown, for the pod and target that asked', function () {
  this.timeout(180_000);
  let agentToken: string;
  let c: TestCluster;
  let pods: ApprovalsFixture['pods'];
  let policy: AgentAccessPolicy;
  let stack: LocalStack;
  const { approved, asAgent, decide, named, postApprovals, requests, runToken, scratch, sql } = approvalsSuite(
    { ns: NS, system: SYSTEM, config: CONFIG },
    (f) => ({ agentToken, c, pods, policy, stack } = f),
  );

  const forged = (policyName: string, text: string, hashOf: string) =>
    stringify({
      apiVersion: 'agentgate.dev/v1alpha1',
      kind: 'ApprovalRequest',
      metadata: { generateName: 'billing-agent-', namespace: NS, labels: { 'agentgate.dev/policy': 'billing-agent' } },
      spec: {
        policy: policyName,
        rule: 'writes-need-approval',
        target: 'billing-db',
        requester: { subject: 'agent-1' },
        command: { text, sha256: createHash('sha256').update(hashOf).digest('hex') },
        expiresAt: new Date(Date.now() + 600_000).toISOString(),
      },
    });

  it("the agent's service account cannot create an ApprovalRequest (RBAC), nor a plain user whom RBAC lets (admission): showing a SELECT with a DELETE's hash, or naming an easier policy, is impossible", async () => {
    const before = (await requests()).length;
    for (const doc of [
      forged('billing-agent', 'SELECT count(*) FROM scratch', 'DELETE FROM scratch'),
      forged('lenient', 'DELETE FROM scratch', 'DELETE FROM scratch'),
    ]) {
      const byAgent = await asAgent(['create', '-f', '-', '-o', 'name'], doc);
      expect(byAgent.code, byAgent.stdout).to.not.equal(0);
      expect(byAgent.stderr).to.match(/forbidden/i);
      const byUser = await c.kubectl(['create', '-f', '-', '-o', 'name'], { as: 'dev-user', input: doc });
      expect(byUser.code, byUser.stdout).to.not.equal(0);
      expect(byUser.stderr).to.contain('created by the agentgate operator only');
    }
    expect((await requests()).length).to.equal(before);
  });

  it("the operator's POST /approvals takes no agent token, and takes from the proxy neither a policy nor a pod: they come from the pod", async () => {
    const ask = {
      rule: 'writes-need-approval',
      target: 'billing-db',
      command: {
        text: 'DELETE FROM scratch',
        sha256: createHash('sha256').update('DELETE FROM scratch').digest('hex'),
      },
      requester: { subject: 'agent-1', runId: 'none' },
    };
    const withAgentToken = await postApprovals(agentToken, ask);
    expect(withAgentToken.status, withAgentToken.text).to.equal(401);
    // Nor can it mint the proxy's token (audience agentgate-proxy) for its service account.
    const minted = await asAgent([
      'create',
      'token',
      'billing-agent',
      '-n',
      NS,
      '--audience',
      'agentgate-proxy',
      '--bound-object-kind',
      'Pod',
      '--bound-object-name',
      'pod-a',
    ]);
    expect(minted.code, minted.stdout).to.not.equal(0);
    expect(minted.stderr).to.match(/forbidden/i);
    const podToken = readFileSync(pods['pod-a']!.tokenFile, 'utf8').trim();
    const namingPolicy = await postApprovals(podToken, { ...ask, policy: 'lenient' });
    expect(namingPolicy.status, namingPolicy.text).to.equal(400);
    const namingPod = await postApprovals(podToken, {
      ...ask,
      requester: { ...ask.requester, pod: 'pod-b', serviceAccount: `${NS}/other` },
    });
    expect(namingPod.status, namingPod.text).to.equal(400);
    // Through the proxy: the request names the pod's policy, pod, uid and service account; lenient's approver does not count.
    const refused = await sql('pod-a', 'UPDATE scratch SET v = 1');
    const apr = (await requests()).find((a) => a.metadata.name === named(refused));
    expect(apr.spec.policy).to.equal('billing-agent');
    const podUid = JSON.parse((await c.kubectl(['get', 'pod', 'pod-a', '-n', NS, '-o', 'json'])).stdout).metadata.uid;
    expect(apr.spec.requester).to.deep.include({
      subject: 'agent-1',
      runId: 'none',
      pod: 'pod-a',
      podUid,
      serviceAccount: `${NS}/billing-agent`,
    });
    expect(apr.metadata.labels['agentgate.dev/pod-uid']).to.equal(podUid);
    const byLenient = await decide(apr.metadata.name, 'dev-user', 'Approved');
    expect(byLenient.stderr).to.contain('dev-user is not an approver for policy billing-agent');
    expect(await scratch()).to.deep.equal([0, 0]);
  });

  it('retries of a pending statement join the open request instead of piling up requests', async () => {
    const statement = 'UPDATE scratch SET v = 2';
    const answers = [await sql('pod-a', statement), await sql('pod-a', statement), await sql('pod-a', statement)];
    const names = new Set(answers.map(named));
    expect(names.size, answers.join('\n')).to.equal(1);
    expect((await requests()).filter((a) => a.spec.command.text === statement)).to.have.length(1);
    expect(await scratch()).to.deep.equal([0, 0]);
  });

  it('a grant asked for by one pod is not usable by another pod of the same agent', async () => {
    const statement = 'UPDATE scratch SET v = 3';
    const name = named(await sql('pod-a', statement));
    expect((await decide(name, 'approver-1', 'Approved')).code).to.equal(0);
    await approved(name); // both proxies' watches have seen it
    const fromB = await sql('pod-b', statement);
    expect(fromB).to.match(/is pending/);
    expect(named(fromB)).to.not.equal(name);
    expect(await scratch()).to.deep.equal([0, 0]);
    expect(await sql('pod-a', statement)).to.equal('ran');
    expect(await scratch()).to.deep.equal([3, 3]);
  });

  it('a grant approved for target billing-db does not run on replica-db', async () => {
    const statement = 'UPDATE scratch SET v = 4';
    const name = named(await sql('pod-a', statement, 'billing-db'));
    expect((await decide(name, 'approver-1', 'Approved')).code).to.equal(0);
    await approved(name);
    const onReplica = await sql('pod-a', statement, 'replica-db');
    expect(onReplica).to.match(/is pending/);
    const replicaRequest = (await requests()).find((a) => a.metadata.name === named(onReplica));
    expect(replicaRequest.spec.target).to.equal('replica-db');
    expect(await scratch()).to.deep.equal([3, 3]);
    expect(await sql('pod-a', statement, 'billing-db')).to.equal('ran');
    expect(await scratch()).to.deep.equal([4, 4]);
  });

  it('a grant approved in one run does not release the same statement in another run of the same agent in the same pod', async () => {
    const [runA, runB] = [await runToken('pod-a', 'alice@example.com'), await runToken('pod-a', 'alice@example.com')];
    const statement = 'UPDATE scratch SET v = 5';
    const name = named(await sql('pod-a', statement, 'billing-db', runA));
    const asked = (await requests()).find((a) => a.metadata.name === name);
    expect(asked.spec.requester.triggeredBy).to.equal('alice@example.com');
    expect(asked.spec.requester.runId).to.not.equal('none');
    expect((await decide(name, 'approver-1', 'Approved')).code).to.equal(0);
    await approved(name);
    const inRunB = await sql('pod-a', statement, 'billing-db', runB);
    expect(inRunB).to.match(/is pending/);
    expect(named(inRunB)).to.not.equal(name);
    expect(await scratch()).to.deep.equal([4, 4]);
    expect(await sql('pod-a', statement, 'billing-db', runA)).to.equal('ran');
    expect(await scratch()).to.deep.equal([5, 5]);
  });

  it('in Hold mode, sessions holding the same statement wait on one request, and a one-shot approval runs it once', async () => {
    const statement = 'UPDATE scratch SET v = v + 1';
    const hold = structuredClone(policy);
    hold.spec.approval!.mode = 'Hold';
    pods['pod-a']!.proxy.updatePolicy(hold);
    try {
      const first = sql('pod-a', statement);
      const apr = await eventually(
        'a request',
        async () => (await requests()).find((a) => a.spec.command.text === statement),
        30_000,
        100,
      );
      const second = sql('pod-a', statement);
      // Both sessions hold (the second joined the open request) before the approval comes.
      await eventually(
        'both sessions held',
        async () => holding(join(stack.dir, 'pod-a-audit.log'), apr.metadata.name) === 2,
      );
      expect((await requests()).filter((a) => a.spec.command.text === statement)).to.have.length(1);
      expect((await decide(apr.metadata.name, 'approver-1', 'Approved')).code).to.equal(0);
      const results = await Promise.all([first, second]);
      expect(
        results.filter((r) => r === 'ran'),
        results.join('\n'),
      ).to.have.length(1);
      expect(results.find((r) => r !== 'ran')).to.contain('already used');
      expect(await scratch()).to.deep.equal([6, 6]);
    } finally {
      pods['pod-a']!.proxy.updatePolicy(structuredClone(policy));
    }
  });

  it('creation is limited per pod: at most 5 pending requests; the next statement is refused naming the limit, and other pods are not affected', async () => {
    const answers: string[] = [];
    for (let i = 0; i < 6; i++) answers.push(await sql('pod-c', `UPDATE scratch SET v = ${100 + i}`));
    expect(
      answers.slice(0, 5).every((a) => /is pending/.test(a)),
      answers.join('\n'),
    ).to.equal(true);
    expect(answers[5]).to.match(
      /approval request could not be created \(.*pending approval requests \(at most 5\).*\); nothing was executed/,
    );
    const uid = JSON.parse((await c.kubectl(['get', 'pod', 'pod-c', '-n', NS, '-o', 'json'])).stdout).metadata.uid;
    expect((await requests()).filter((a) => a.spec.requester.podUid === uid)).to.have.length(5);
    expect(await sql('pod-b', 'UPDATE scratch SET v = 200')).to.match(/is pending/);
    expect(await scratch()).to.deep.equal([6, 6]);
  });
});
