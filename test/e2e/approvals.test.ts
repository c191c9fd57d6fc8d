/**
 * Just-in-time approvals on a real API server: a RequireApproval rule holds the statement, the proxy
 * asks the operator for an ApprovalRequest (with its pod-bound token), an approver decides with plain
 * `kubectl patch`, the admission webhook stamps who decided (and refuses what must not happen), the
 * operator moves the phase, and the held statement is released or refused once the proxy's feed
 * (through the operator) shows the decision.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { stringify } from 'yaml';
import { Operator } from '../../operator/operator.js';
import { KubeApprovals } from '../../proxy/approvals/kube-approvals.js';
import { watchShows } from './approval-watch.js';
import { OperatorWitness } from '../../proxy/audit/witnesses.js';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';
import { GuardProxy } from '../../proxy/server.js';
import { renderInChromium } from '../support/chromium.js';
import { eventually, ns, testCluster, type TestCluster } from './cluster.js';
import { proxyToken, webhookCa } from './proxy-credentials.js';
import { agentPod } from './agent-objects.js';
import { operatorFeeds } from '../../proxy/cluster/operator-feed.js';

const run = promisify(execFile);
const NS = ns('e2e-approvals');
const CONFIG = ns('agentgate-approvals');

describe('approvals: ApprovalRequests that approvers patch with kubectl', function () {
  this.timeout(180_000);
  let c: TestCluster;
  let op: Operator;
  let stack: LocalStack;
  let proxy: GuardProxy;
  let startProxy: (listen: string) => Promise<GuardProxy>;
  let broker: KubeApprovals;
  let policy: AgentAccessPolicy;
  let stream: string;

  /** The Pending request for this command (earlier tests leave other requests Pending until they expire). */
  const pending = async (command: string, requester = 'agent-1'): Promise<any> =>
    eventually(
      `a Pending ApprovalRequest for ${command}`,
      async () => {
        const r = await c.kubectl(['get', 'apr', '-n', NS, '-o', 'json']);
        return JSON.parse(r.stdout).items.find(
          (a: any) =>
            a.status?.phase === 'Pending' && a.spec.command.text === command && a.spec.requester.subject === requester,
        );
      },
      30_000,
      100,
    );
  const decide = (name: string, as: string, decision: string, comment = 'ticket 42') =>
    c.kubectl(
      ['patch', 'apr', name, '-n', NS, '--type', 'merge', '-p', JSON.stringify({ spec: { decision, comment } })],
      { as },
    );
  const agent = async (subject = 'agent-1'): Promise<pg.Client> => {
    const { host, port } = proxy.addresses()[0]!;
    const client = new pg.Client({
      host,
      port,
      user: 'agent',
      database: 'billing',
      password: await stack.token(subject),
    });
    await client.connect();
    return client;
  };
  const applyPolicy = async (edit: (p: AgentAccessPolicy) => void): Promise<void> => {
    edit(policy);
    const r = await c.kubectl(['apply', '-f', '-'], { input: stringify(policy) });
    expect(r.code, r.stderr).to.equal(0);
    proxy.updatePolicy(structuredClone(policy));
  };
  const scratch = async (): Promise<number[]> => {
    const d = await stack.direct();
    const r = await d.query('SELECT v FROM scratch ORDER BY id');
    await d.end();
    return r.rows.map((x) => x.v);
  };

  before(async function () {
    this.timeout(1_200_000);
    c = await testCluster();
    await c.kubectl(['create', 'namespace', NS]);
    // Approvers (and, to show the webhook's own checks, everyone else) may patch requests; the webhook decides who counts.
    await c.kubectl(['apply', '-f', '-'], {
      input: stringify({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: CONFIG },
        rules: [
          { apiGroups: ['agentgate.dev'], resources: ['approvalrequests'], verbs: ['get', 'list', 'watch', 'patch'] },
        ],
      }),
    });
    await c.kubectl([
      'create',
      'clusterrolebinding',
      CONFIG,
      `--clusterrole=${CONFIG}`,
      '--group=agentgate:approvers',
      '--user=dev-user',
    ]);
    stack = await startLocalStack({
      seedSql: `${(await import('node:fs')).readFileSync(new URL('../../examples/local/seed.sql', import.meta.url), 'utf8')}\nCREATE TABLE scratch (id int PRIMARY KEY, v int); INSERT INTO scratch VALUES (1, 0), (2, 0);`,
    });
    await stack.proxy.stop();
    policy = structuredClone(stack.policy);
    policy.metadata = { name: 'billing-agent', namespace: NS };
    policy.spec.rules = [
      {
        name: 'writes-need-approval',
        when: { sql: { unboundedWrite: true } },
        action: 'RequireApproval',
        message: 'unbounded writes need a human',
      },
      ...policy.spec.rules!.filter((r) => r.name !== 'no-unbounded-writes'),
    ];
    policy.spec.approval = {
      mode: 'Hold',
      timeoutSeconds: 30,
      approvers: { groups: ['agentgate:approvers'] },
      requiredApprovals: 1,
      grant: { ttlSeconds: 0 },
      retentionSeconds: 3600,
    };
    expect((await c.kubectl(['apply', '-f', '-'], { input: stringify(policy) })).code).to.equal(0);
    op = new Operator({
      kc: c.kc,
      leaseNamespace: NS,
      healthAddress: { host: '127.0.0.1', port: 0 },
      webhook: {
        host: '127.0.0.1',
        port: 0,
        namespace: NS,
        dnsNames: ['localhost'],
        ipAddresses: ['127.0.0.1'],
        configurationName: CONFIG,
        injector: { image: 'x' },
      },
    });
    await op.start();
    const mwc = {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name: CONFIG },
      webhooks: [
        {
          name: 'approvals.agentgate.dev',
          clientConfig: { url: `https://127.0.0.1:${op.webhookAddress!.port}/admit-approvals` },
          rules: [
            {
              operations: ['CREATE', 'UPDATE'],
              apiGroups: ['agentgate.dev'],
              apiVersions: ['v1alpha1'],
              resources: ['approvalrequests', 'approvalrequests/status'],
            },
          ],
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': NS } },
          failurePolicy: 'Fail',
          sideEffects: 'None',
          admissionReviewVersions: ['v1'],
          timeoutSeconds: 10,
        },
      ],
    };
    expect((await c.kubectl(['apply', '-f', '-'], { input: stringify(mwc) })).code).to.equal(0);
    await op.renewWebhookCertificate();
    await eventually(
      'policy Ready',
      async () =>
        (await c.kubectl(['get', 'aap', 'billing-agent', '-n', NS, '-o', 'jsonpath={.status.conditions[0].status}']))
          .stdout === 'True',
    );
    // The proxy checkpoints its chain and records used grants at the operator as the sidecar of agent-pod would.
    await c.kubectl(['create', 'serviceaccount', 'billing-agent', '-n', NS]);
    // The injector's status annotation names the policy the pod's proxy follows (the operator reads it to create requests).
    await c.kubectl(['create', '-f', '-'], {
      input: stringify(agentPod(NS)),
    });
    // The witness names a pod's stream namespace/name/uid (shared/contract/pod-stream.ts).
    stream = `${NS}/agent-pod/${JSON.parse((await c.kubectl(['get', 'pod', 'agent-pod', '-n', NS, '-o', 'json'])).stdout).metadata.uid}`;
    const tokenFile = join(stack.dir, 'pod-token');
    writeFileSync(tokenFile, await proxyToken(c, NS, 'billing-agent', 'agent-pod'));
    const ca = await webhookCa(c, NS);
    // As the injected sidecar does: requests read through the operator's feed.
    const operator = { url: `https://127.0.0.1:${op.operatorAddress!.port}`, tokenFile, ca };
    broker = new KubeApprovals({ feeds: operatorFeeds(operator), namespace: NS, policy: 'billing-agent', operator });
    await broker.start();
    startProxy = (listen) =>
      GuardProxy.start({
        policy: structuredClone(policy),
        auditFile: `${stack.dir}/approvals-audit.log`,
        recordingsDir: `${stack.dir}/sessions`,
        env: { BILLING_DB_PASSWORD: 'agent-local-password' },
        listenOverride: { 'billing-db': listen },
        approvals: broker,
        checkpoints: {
          stream,
          witness: new OperatorWitness({ url: `https://127.0.0.1:${op.operatorAddress!.port}`, tokenFile, ca }),
        },
      });
    proxy = await startProxy('127.0.0.1:0');
  });
  after(async () => {
    await proxy?.stop();
    await broker?.stop();
    await stack?.postgres.stop();
    await op?.stop();
    await c?.kubectl(['delete', 'mutatingwebhookconfiguration', CONFIG]);
    await c?.kubectl(['delete', 'clusterrolebinding', CONFIG]);
  });

  it('holds the statement until an approver patches the request; released within a second (measured)', async () => {
    const client = await agent();
    await client.query("SET agentgate.reason = 'monthly reset, ticket 42'");
    const held = client.query('UPDATE scratch SET v = 1');
    const apr = await pending('UPDATE scratch SET v = 1');
    expect(apr.spec).to.deep.include({
      policy: 'billing-agent',
      rule: 'writes-need-approval',
      target: 'billing-db',
      reason: 'monthly reset, ticket 42',
    });
    expect(apr.spec.requester.subject).to.equal('agent-1');
    expect(apr.spec.command.text).to.equal('UPDATE scratch SET v = 1');
    expect(await scratch()).to.deep.equal([0, 0]);
    const table = await c.kubectl(['get', 'apr', '-n', NS]);
    expect(table.stdout)
      .to.match(/PHASE\s+REQUESTER\s+TARGET\s+COMMAND/)
      .and.contain('Pending');
    const t0 = performance.now();
    const r = await decide(apr.metadata.name, 'approver-1', 'Approved');
    expect(r.code, r.stderr).to.equal(0);
    const result = await held;
    const ms = performance.now() - t0;
    console.log(`      approval: kubectl patch → held statement released in ${ms.toFixed(0)} ms`);
    expect(ms).to.be.lessThan(1000);
    expect(result.rowCount).to.equal(2);
    expect(await scratch()).to.deep.equal([1, 1]);
    const stamped = JSON.parse((await c.kubectl(['get', 'apr', apr.metadata.name, '-n', NS, '-o', 'json'])).stdout);
    expect(stamped.spec.decisions[0]).to.include({ user: 'approver-1', decision: 'Approved', comment: 'ticket 42' });
    expect(stamped.spec.decisions[0].groups).to.include('agentgate:approvers');
    expect(stamped.spec.decision).to.equal(undefined);
    await eventually(
      'Used',
      async () =>
        JSON.parse((await c.kubectl(['get', 'apr', apr.metadata.name, '-n', NS, '-o', 'json'])).stdout).status
          ?.phase === 'Used',
    );
    // kubectl describe shows when the grant ran: a Used Event on the request.
    await eventually(
      'Used Event',
      async () =>
        (
          await c.kubectl([
            'get',
            'events',
            '-n',
            NS,
            '--field-selector',
            `involvedObject.name=${apr.metadata.name},reason=Used`,
            '-o',
            'name',
          ])
        ).stdout.trim() !== '',
    );
    const events = await c.kubectl([
      'get',
      'events',
      '-n',
      NS,
      '--field-selector',
      `involvedObject.name=${apr.metadata.name}`,
    ]);
    expect(events.stdout).to.contain('Approved');
    await client.end();
    proxy.audit.flush();
    const recs = readFileSync(`${stack.dir}/approvals-audit.log`, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const ref = `${NS}/${apr.metadata.name}`;
    expect(recs.find((x) => x.event.action === 'approval.requested' && x.detail.approvalRequest === ref)).to.not.equal(
      undefined,
    );
    const decided = recs.find((x) => x.event.action === 'approval.decided' && x.detail.approvalRequest === ref);
    expect(decided.detail.decisions[0]).to.include({ user: 'approver-1', decision: 'Approved', comment: 'ticket 42' });
    const executed = recs.find((x) => x.event.action === 'statement.decision' && x.detail?.grant === apr.metadata.name);
    expect(executed).to.deep.include({
      decision: 'RequireApproval',
      enforced: false,
      rule: { name: 'writes-need-approval' },
    });
    // It went through: the decision's outcome says so (it said failure once).
    expect(executed.event.outcome).to.equal('success');
  });

  it('denied: the agent gets a clear error and the database never sees the statement', async () => {
    const client = await agent();
    const held = client.query('UPDATE scratch SET v = 2').then(
      () => undefined,
      (e: Error) => e,
    );
    const apr = await pending('UPDATE scratch SET v = 2');
    expect((await decide(apr.metadata.name, 'approver-2', 'Denied', 'not today')).code).to.equal(0);
    const err = await held;
    expect(err?.message).to.contain(`ApprovalRequest ${NS}/${apr.metadata.name} was denied`);
    expect(await scratch()).to.deep.equal([1, 1]);
    await client.end();
  });

  it('the API server refuses self-approval, non-approvers, tampering and a second decision', async () => {
    const self = await agent('approver-1');
    const held = self.query('UPDATE scratch SET v = 3').then(
      () => undefined,
      (e: Error) => e,
    );
    const apr = await pending('UPDATE scratch SET v = 3', 'approver-1');
    const name = apr.metadata.name;
    const selfApproval = await decide(name, 'approver-1', 'Approved');
    expect(selfApproval.code).to.not.equal(0);
    expect(selfApproval.stderr).to.contain('no self-approval');
    const outsider = await decide(name, 'dev-user', 'Approved');
    expect(outsider.stderr).to.contain('dev-user is not an approver');
    const tamper = await c.kubectl(
      [
        'patch',
        'apr',
        name,
        '-n',
        NS,
        '--type',
        'merge',
        '-p',
        JSON.stringify({ spec: { command: { text: 'SELECT 1' } } }),
      ],
      { as: 'approver-2' },
    );
    expect(tamper.stderr).to.contain('the request itself cannot be changed');
    const forged = await c.kubectl(
      [
        'patch',
        'apr',
        name,
        '-n',
        NS,
        '--type',
        'merge',
        '-p',
        JSON.stringify({
          spec: { decisions: [{ user: 'approver-2', decision: 'Approved', time: new Date().toISOString() }] },
        }),
      ],
      { as: 'approver-2' },
    );
    expect(forged.stderr).to.contain('spec.decisions is written by agentgate');
    expect((await decide(name, 'approver-2', 'Denied')).code).to.equal(0);
    await held;
    const again = await decide(name, 'approver-1', 'Approved');
    expect(again.stderr).to.contain('already Denied');
    await self.end();
  });

  it('two required approvals need two distinct approvers', async () => {
    await applyPolicy((p) => {
      p.spec.approval!.requiredApprovals = 2;
    });
    const client = await agent();
    const held = client.query('UPDATE scratch SET v = 4');
    const apr = await pending('UPDATE scratch SET v = 4');
    expect((await decide(apr.metadata.name, 'approver-1', 'Approved')).code).to.equal(0);
    const twice = await decide(apr.metadata.name, 'approver-1', 'Approved');
    expect(twice.stderr).to.contain('already decided on this request; 2 distinct approvers');
    await new Promise((r) => setTimeout(r, 500));
    expect(await scratch()).to.deep.equal([1, 1]);
    expect((await decide(apr.metadata.name, 'approver-2', 'Approved')).code).to.equal(0);
    expect((await held).rowCount).to.equal(2);
    await client.end();
    await applyPolicy((p) => {
      p.spec.approval!.requiredApprovals = 1;
    });
  });

  it('Reject mode: refused at once naming the request; the grant runs exactly that command once, for that requester', async () => {
    await applyPolicy((p) => {
      p.spec.approval!.mode = 'Reject';
    });
    const client = await agent();
    const first = await client.query('UPDATE scratch SET v = 5').then(
      () => undefined,
      (e: Error & { hint?: string }) => e,
    );
    expect(first?.message).to.match(/ApprovalRequest .* is pending; run the same statement again/);
    expect(first?.hint).to.contain('kubectl patch apr');
    const apr = await pending('UPDATE scratch SET v = 5');
    expect((await decide(apr.metadata.name, 'approver-1', 'Approved')).code).to.equal(0);
    await eventually(
      'Approved',
      async () =>
        JSON.parse((await c.kubectl(['get', 'apr', apr.metadata.name, '-n', NS, '-o', 'json'])).stdout).status
          ?.phase === 'Approved',
    );
    await watchShows(broker, apr.metadata.name);
    // Another requester, or another statement, does not get the grant.
    const other = await agent('agent-2');
    expect(
      await other.query('UPDATE scratch SET v = 5').then(
        () => 'ran',
        (e: Error) => e.message,
      ),
    ).to.contain('is pending');
    expect(
      await client.query('UPDATE scratch SET v = 6').then(
        () => 'ran',
        (e: Error) => e.message,
      ),
    ).to.contain('is pending');
    expect((await client.query('UPDATE scratch SET v = 5')).rowCount).to.equal(2);
    expect(await scratch()).to.deep.equal([5, 5]);
    // Used once: the same command again needs a new approval.
    expect(
      await client.query('UPDATE scratch SET v = 5').then(
        () => 'ran',
        (e: Error) => e.message,
      ),
    ).to.contain('is pending');
    await other.end();
    await client.end();
    await applyPolicy((p) => {
      p.spec.approval!.mode = 'Hold';
    });
  });

  it('proxy restart while a request is pending: nothing runs without a decision; after approval, a retry runs once', async () => {
    const client = await agent();
    client.on('error', () => undefined);
    const held = client.query('UPDATE scratch SET v = 8').then(
      () => 'ran',
      (e: Error) => e.message,
    );
    const apr = await pending('UPDATE scratch SET v = 8');
    const { port } = proxy.addresses()[0]!;
    await proxy.stop();
    expect(await held).to.not.equal('ran');
    expect((await decide(apr.metadata.name, 'approver-1', 'Approved')).code).to.equal(0);
    await new Promise((r) => setTimeout(r, 500));
    expect(await scratch()).to.deep.equal([5, 5]);
    proxy = await startProxy(`127.0.0.1:${port}`);
    const retry = await agent();
    expect((await retry.query('UPDATE scratch SET v = 8')).rowCount).to.equal(2);
    expect(await scratch()).to.deep.equal([8, 8]);
    await retry.end();
  });

  it('closed requests are garbage-collected after the retention period', async () => {
    await applyPolicy((p) => {
      p.spec.approval!.retentionSeconds = 2;
    });
    const client = await agent();
    const held = client.query('UPDATE scratch SET v = 9').then(
      () => 'ran',
      (e: Error) => e.message,
    );
    const apr = await pending('UPDATE scratch SET v = 9');
    expect((await decide(apr.metadata.name, 'approver-1', 'Denied', 'no')).code).to.equal(0);
    expect(await held).to.contain('was denied');
    await eventually(
      'deleted after retention',
      async () => (await c.kubectl(['get', 'apr', apr.metadata.name, '-n', NS])).code !== 0,
      20_000,
      250,
    );
    await client.end();
    await applyPolicy((p) => {
      p.spec.approval!.retentionSeconds = 3600;
    });
  });

  it('the evidence export: passes verify, lists every denial and approval of the run, shows no masked value in clear', async () => {
    // A denial whose statement holds sensitive literals (masked in the record, the report and the recording).
    const client = await agent();
    await client.query("SELECT * FROM payroll.salaries WHERE employee = 'EMP-004211'").catch(() => undefined);
    await client.query(
      "SELECT name FROM customers WHERE email = 'ada@example.com' AND card_number = '4111 1111 1111 1111'",
    );
    await client.end();
    await proxy.checkpointer!.checkpoint();
    proxy.audit.flush();
    const out = mkdtempSync(join(tmpdir(), 'agentgate-evidence-'));
    const bin = new URL('../../bin/agentgate.js', import.meta.url).pathname;
    const r = await run(
      process.execPath,
      [
        bin,
        'evidence',
        '--audit-file',
        `${stack.dir}/approvals-audit.log`,
        '--out',
        out,
        '--namespace',
        NS,
        '--cluster',
        '--operator-namespace',
        NS,
      ],
      { env: { ...process.env, KUBECONFIG: c.kubeconfig } },
    ).catch((e) => {
      throw new Error(`agentgate evidence failed: ${e.stdout}${e.stderr}`);
    });
    expect(r.stdout).to.contain('approvals.json').and.contain('audit integrity verified');
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.integrity.chains.map((x: any) => [x.stream, x.ok, x.checkpoints.ok])).to.deep.equal([
      [stream, true, true],
    ]);
    expect(summary.integrity.recordings.ok).to.equal(true);
    // Offline, from the bundle alone.
    const v = await run(process.execPath, [
      bin,
      'audit',
      'verify',
      join(out, 'audit', 'approvals-audit.log'),
      '--witness',
      join(out, 'witness', 'checkpoints.jsonl'),
    ]);
    expect(
      v.stdout
        .trim()
        .split('\n')
        .map((l) => l.slice(0, 3)),
    ).to.deep.equal(['ok:', 'ok:', 'ok:']);

    const html = readFileSync(join(out, 'report.html'), 'utf8');
    const esc = (t: string): string => t.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
    expect(html)
      .to.contain('approver-1 Approved (ticket 42)')
      .and.contain('approver-2 Denied (not today)')
      .and.contain('approval latency');
    const records = readFileSync(`${stack.dir}/approvals-audit.log`, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const denials = records.filter(
      (x) => x.event.action === 'statement.decision' && x.enforced && x.decision === 'Deny',
    );
    expect(denials.length).to.be.greaterThan(0);
    for (const d of denials) expect(html).to.contain(esc(d.db.query.text));
    // Every request of the run, including the one the cluster garbage-collected after its retention.
    const requested = records.filter((x) => x.event.action === 'approval.requested');
    expect(requested.length).to.equal(summary.counts.approvalsRequested);
    const approvals = JSON.parse(readFileSync(join(out, 'approvals.json'), 'utf8'));
    expect(approvals.length).to.be.lessThan(requested.length);
    for (const a of requested) expect(html).to.contain(a.detail.approvalRequest);
    for (const a of approvals) expect(html).to.contain(`${NS}/${a.metadata.name}`);
    const files = readdirSync(out, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name));
    for (const f of files)
      for (const secret of ['EMP-004211', 'ada@example.com', '4111 1111 1111 1111'])
        expect(readFileSync(f, 'utf8'), `${f} has ${secret}`).to.not.contain(secret);
    // The report of this e2e run, rendered.
    const shot = await renderInChromium(join(out, 'report.html'), join(out, 'report.png'));
    expect(shot.dom)
      .to.contain('approver-1 Approved (ticket 42)')
      .and.match(/<svg[^>]*aria-label="approval latency \(s\)"/);
    expect(shot.isPng && shot.pngBytes > 20_000).to.equal(true);
  });

  it('expired: an undecided request expires and the held statement is refused', async () => {
    await applyPolicy((p) => {
      p.spec.approval!.timeoutSeconds = 3;
    });
    const client = await agent();
    const err = await client.query('UPDATE scratch SET v = 7').then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).to.match(/was (expired|not decided in time)/);
    expect(await scratch()).to.deep.equal([8, 8]);
    await client.end();
  });
});
