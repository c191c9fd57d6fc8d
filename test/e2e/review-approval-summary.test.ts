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
import { KubeApprovals } from '../../proxy/approvals/kube-approvals.js';
import type { LocalStack } from '../../proxy/local/stack.js';
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';
import { GuardProxy } from '../../proxy/server.js';
import { approvalsSuite, IDP, type ApprovalsFixture } from './approvals-fixture.js';
import { ns, type TestCluster } from './cluster.js';
import { operatorFeeds } from '../../proxy/cluster/operator-feed.js';

const NS = ns('rv-apr');
const SYSTEM = ns('rv-apr-sys');
const CONFIG = ns('rv-apr-cfg');

describe('review: what approvers are shown of a held statement', function () {
  this.timeout(180_000);
  let c: TestCluster;
  let ca: Buffer;
  let operatorUrl: string;
  let pods: ApprovalsFixture['pods'];
  let policy: AgentAccessPolicy;
  let stack: LocalStack;
  const { apply, approved, decide, named, requests, runToken, scratch, sql } = approvalsSuite(
    { ns: NS, system: SYSTEM, config: CONFIG },
    (f) => ({ c, ca, operatorUrl, pods, policy, stack } = f),
  );

  it('R6 (medium, class 1): the Command column approvers see in `kubectl get apr` names the write, not a comment the agent put in front of it', async () => {
    // The agent pads a comment so that the 100-character summary (the CRD's Command column) reads as a count.
    const statement =
      '/* SELECT count(*) FROM scratch -- read-only monthly report, changes nothing, safe to approve. */ UPDATE scratch SET v = 9';
    const refused = await sql('pod-a', statement);
    const name = named(refused);
    const listed = await c.kubectl(['get', 'apr', name, '-n', NS], { as: 'approver-1' });
    expect(listed.code, listed.stderr).to.equal(0);
    // What the approver saw, and what they approve by name:
    const seen = listed.stdout;
    expect((await decide(name, 'approver-1', 'Approved')).code).to.equal(0);
    await approved(name);
    expect(await sql('pod-a', statement)).to.equal('ran');
    expect(await scratch()).to.deep.equal([9, 9]);
    expect(seen, `kubectl get apr showed:\n${seen}`).to.match(/UPDATE/);
    expect(seen, 'the Command column leads with the classification').to.match(/UPDATE scratch \(write\)/);
    expect(seen, 'comments are not shown, literals are masked').to.not.match(/read-only|safe to approve|= 9/);
  });

  it('R8 (high, class 1): the person who triggered the run cannot approve its statement under their Kubernetes (OIDC) username', async () => {
    // alice triggers a run (her IdP token, sub alice@example.com, exchanged at the operator with the pod's token).
    const runA = await runToken('pod-a', 'alice@example.com');
    const statement = 'UPDATE scratch SET v = 11';
    const name = named(await sql('pod-a', statement, 'billing-db', runA));
    const asked = (await requests()).find((a) => a.metadata.name === name);
    expect(asked.spec.requester.triggeredBy).to.equal('alice@example.com');
    expect(asked.spec.requester.triggeredByUsernames, 'the operator records her Kubernetes username').to.deep.equal([
      `${IDP}#alice@example.com`,
    ]);
    // The same alice, signed in to the API server through the same IdP: kube-apiserver's OIDC
    // authenticator names her "<issuer>#<sub>" (the default --oidc-username-prefix for a non-email
    // claim). The authenticator's output is simulated with impersonation (no OIDC on this test cluster);
    // she is in the approvers group as an approver of this policy.
    const alice = ['--as', `${IDP}#alice@example.com`, '--as-group', 'agentgate:approvers'];
    const self = await c.kubectl([
      'patch',
      'apr',
      name,
      '-n',
      NS,
      '--type',
      'merge',
      '-p',
      JSON.stringify({ spec: { decision: 'Approved', comment: 'lgtm' } }),
      ...alice,
    ]);
    let ran = false;
    if (self.code === 0) {
      await approved(name);
      ran = (await sql('pod-a', statement, 'billing-db', runA)) === 'ran';
    }
    expect(
      { admitted: self.code === 0, ran },
      `the person who triggered the run approved it herself: ${self.stdout}${self.stderr}`,
    ).to.deep.equal({ admitted: false, ran: false });
  });

  it('R8 (email claim): a person the API server names by email (as the policy states) cannot approve; the fallback also refuses <prefix>:<sub>', async () => {
    const mapped = structuredClone(policy);
    mapped.spec.identity.triggerIssuers = [
      { ...mapped.spec.identity.triggerIssuers![0]!, kubernetesUsername: { claim: 'email' } },
    ];
    await apply(mapped);
    const runC = await runToken('pod-c', 'u-42', { email: 'Bob@Example.com', email_verified: true });
    const name = named(await sql('pod-c', 'UPDATE scratch SET v = 12', 'billing-db', runC));
    const asked = (await requests()).find((a) => a.metadata.name === name);
    expect(asked.spec.requester).to.deep.include({
      triggeredBy: 'u-42',
      triggeredByEmail: 'Bob@Example.com',
      triggeredByUsernames: [`${IDP}#u-42`, 'Bob@Example.com'],
    });
    for (const as of ['Bob@Example.com', 'bob@example.com', 'oidc:u-42']) {
      const self = await c.kubectl([
        'patch',
        'apr',
        name,
        '-n',
        NS,
        '--type',
        'merge',
        '-p',
        JSON.stringify({ spec: { decision: 'Approved' } }),
        '--as',
        as,
        '--as-group',
        'agentgate:approvers',
      ]);
      expect(self.code, `${as}: ${self.stdout}`).to.not.equal(0);
      expect(self.stderr).to.contain('no self-approval');
    }
    await apply(policy);
  });

  it('R9 (medium, class 11/1): a one-shot grant runs once: never when its use cannot be recorded, not again after the sidecar restarts', async () => {
    const statement = 'UPDATE scratch SET v = v + 100';
    const name = named(await sql('pod-b', statement));
    expect((await decide(name, 'approver-1', 'Approved')).code).to.equal(0);
    await approved(name);
    const before = (await scratch())[0]!;
    const podUid = JSON.parse((await c.kubectl(['get', 'pod', 'pod-b', '-n', NS, '-o', 'json'])).stdout).metadata.uid;
    /** The sidecar restarts (crash, OOM, node pressure): a new process, same pod (POD_UID), the same API server. */
    const restart = async (url: string): Promise<void> => {
      await pods['pod-b']!.proxy.stop();
      await pods['pod-b']!.broker.stop();
      // Its feed comes from the operator; recording a use goes to `url`.
      const operator = { url, tokenFile: pods['pod-b']!.tokenFile, ca, timeoutMs: 2_000 };
      const broker = new KubeApprovals({
        feeds: operatorFeeds({ ...operator, url: operatorUrl }),
        namespace: NS,
        policy: 'billing-agent',
        podUid,
        operator,
      });
      await broker.start();
      const proxy = await GuardProxy.start({
        policy: structuredClone(policy),
        auditFile: `${stack.dir}/pod-b-audit-${Math.random()}.log`,
        env: { BILLING_DB_PASSWORD: 'agent-local-password' },
        listenOverride: { 'billing-db': '127.0.0.1:0', 'replica-db': '127.0.0.1:0' },
        approvals: broker,
        pod: { name: 'pod-b', namespace: NS, uid: podUid },
        runTokenIssuer: operatorUrl,
      });
      pods['pod-b'] = { proxy, broker, tokenFile: pods['pod-b']!.tokenFile };
    };
    // The operator out of reach for the record (the threat model's third case): the use cannot be recorded, so it does not run.
    await restart('https://127.0.0.1:1');
    const unrecorded = await sql('pod-b', statement);
    expect(unrecorded)
      .to.include(name)
      .and.to.match(/could not be recorded/);
    expect((await scratch())[0]! - before).to.equal(0);
    // The operator reachable again: the grant runs once, recorded Used before the statement ran.
    await restart(operatorUrl);
    expect(await sql('pod-b', statement)).to.equal('ran');
    expect(await sql('pod-b', statement)).to.not.equal('ran');
    await restart(operatorUrl);
    const again = await sql('pod-b', statement);
    const phase = (await requests()).find((a) => a.metadata.name === name)?.status?.phase;
    expect({
      again: again === 'ran' ? 'ran' : 'refused',
      executions: ((await scratch())[0]! - before) / 100,
      phase,
    }).to.deep.equal({ again: 'refused', executions: 1, phase: 'Used' });
  });
});
