/**
 * Deviation review on a real API server: a session with denials and an expired approval → the sidecar
 * reports them (its own token) → the operator files them into DeviationReview items with the right
 * counts and audit hashes, and emits the pod's Events → a reviewer acknowledges with plain `kubectl
 * patch` while the agent's own token, `dev-user` and a person who triggered a run are refused (kubectl as
 * each identity, and `kubectl auth can-i` with the chart's real roles) → the kubectl plugin escalates →
 * an item left open past maxOpenHours becomes an Exception (Event, metric).
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { stringify } from 'yaml';
import type { Operator } from '../../operator/operator.js';
import { postToOperator, type OperatorEndpoint } from '../../proxy/approvals/operator-client.js';
import type { LocalStack } from '../../proxy/local/stack.js';
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';
import type { GuardProxy } from '../../proxy/server.js';
import { eventually, ns, type TestCluster } from './cluster.js';
import { startReviewFixture, type ReviewFixture } from './review-fixture.js';
import { proxyToken } from './proxy-credentials.js';

const NS = ns('e2e-reviews');
const CONFIG = ns('agentgate-reviews');
const ROOT = new URL('../..', import.meta.url).pathname;
const SA = `system:serviceaccount:${NS}:billing-agent`;

describe('deviation review: DeviationReview items reviewers decide with kubectl', function () {
  this.timeout(180_000);
  let f: ReviewFixture;
  let c: TestCluster;
  let op: Operator;
  let stack: LocalStack;
  let proxy: GuardProxy;
  let endpoint: OperatorEndpoint;
  const items = (): Promise<any[]> => f.items();
  const itemOf = (kind: string, rule: string): Promise<any> => f.itemOf(kind, rule);
  const patchDecision = (name: string, decision: object, who: { as?: string; token?: string }) =>
    f.patchDecision(name, decision, who);
  const chain = (): any[] => f.chain();

  before(async function () {
    this.timeout(1_200_000);
    f = await startReviewFixture({ namespace: NS, config: CONFIG });
    ({ c, op, stack, proxy, endpoint } = f);
  });
  after(() => f?.stop());

  it('a session with denials and an expired approval: review items with the right counts, audit hashes, columns and Events', async () => {
    const { host, port } = proxy.addresses()[0]!;
    const agent = new pg.Client({
      host,
      port,
      user: 'agent',
      database: 'billing',
      password: await stack.token('agent-1'),
    });
    await agent.connect();
    for (let i = 0; i < 3; i++) {
      const e = await agent.query('DROP TABLE scratch').then(
        () => undefined,
        (x: Error & { code?: string }) => x,
      );
      expect(e?.code).to.equal('42501');
    }
    const expired = await agent.query('UPDATE scratch SET v = 9').then(
      () => undefined,
      (x: Error) => x,
    );
    expect(expired?.message).to.match(/expired|not decided in time/);
    await agent.end();

    const denial = await eventually(
      'the no-ddl item counts 3',
      async () => ((await itemOf('Denial', 'no-ddl'))?.status?.count === 3 ? itemOf('Denial', 'no-ddl') : undefined),
      30_000,
      200,
    );
    const approval = await eventually(
      'the expired approval item',
      async () =>
        (await itemOf('ApprovalExpired', 'writes-need-approval'))?.status?.count === 1
          ? itemOf('ApprovalExpired', 'writes-need-approval')
          : undefined,
      30_000,
      200,
    );
    const records = chain();
    const denied = records.filter((r) => r.event.action === 'statement.decision' && r.rule?.name === 'no-ddl');
    expect(denied).to.have.length(3);
    expect(denial.spec).to.deep.include({
      policyRef: { name: 'billing-agent' },
      agent: { serviceAccount: 'billing-agent' },
      day: new Date().toISOString().slice(0, 10),
    });
    expect(denial.metadata.labels['agentgate.dev/policy']).to.equal('billing-agent');
    expect(denial.status.deviations.map((d: any) => d.auditHash).sort()).to.deep.equal(
      denied.map((r) => r.hash).sort(),
    );
    expect(denial.status.deviations[0]).to.deep.include({
      pod: 'agent-pod',
      statement: 'DROP TABLE scratch',
      session: denied[0].session.id,
    });
    expect(denial.status.firstSeen).to.equal(denied[0]['@timestamp']);
    expect(denial.status.lastSeen).to.equal(denied[2]['@timestamp']);
    const decided = records.find((r) => r.event.action === 'approval.decided' && r.event.outcome === 'failure');
    expect(approval.status.deviations[0]).to.deep.include({
      auditHash: decided.hash,
      statement: 'UPDATE scratch SET v = 9',
    });
    await eventually(
      'state Open with conditions',
      async () =>
        (await itemOf('Denial', 'no-ddl'))?.status?.conditions?.find((x: any) => x.type === 'Reviewed')?.status ===
        'False',
    );

    const table = await c.kubectl(['get', 'dr', '-n', NS], { as: 'approver-1' });
    expect(table.stdout).to.match(/NAME\s+AGENT\s+KIND\s+RULE\s+COUNT\s+FIRST SEEN\s+LAST SEEN\s+STATE\s+REVIEWER/);
    expect(table.stdout).to.match(new RegExp(`${denial.metadata.name}\\s+billing-agent\\s+Denial\\s+no-ddl\\s+3\\s`));
    // The Events on the pod are the operator's (the proxy's service account may not write Events).
    const events = JSON.parse(
      (
        await c.kubectl([
          'get',
          'events',
          '-n',
          NS,
          '--field-selector',
          'involvedObject.name=agent-pod,reason=StatementDenied',
          '-o',
          'json',
        ])
      ).stdout,
    ).items;
    expect(events).to.have.length(1);
    expect(events[0].source.component).to.equal('agentgate-operator');
    expect(events[0].message).to.contain('denied by rule "no-ddl"').and.contain(denial.metadata.name);
    await eventually(
      'ReviewOpened Event',
      async () =>
        (
          await c.kubectl([
            'get',
            'events',
            '-n',
            NS,
            '--field-selector',
            `involvedObject.name=${denial.metadata.name},reason=ReviewOpened`,
            '-o',
            'name',
          ])
        ).stdout.trim() !== '',
    );
    // The proxy's other Events go through the operator too, only with a reason it may send.
    await postToOperator(endpoint, '/events', {
      type: 'Warning',
      reason: 'CompiledPolicyTampered',
      message: 'compiled policy edited by dev-user',
    });
    await eventually(
      "the proxy's Event via the operator",
      async () =>
        (
          await c.kubectl([
            'get',
            'events',
            '-n',
            NS,
            '--field-selector',
            'involvedObject.name=agent-pod,reason=CompiledPolicyTampered',
            '-o',
            'name',
          ])
        ).stdout.trim() !== '',
    );
    const forged = await postToOperator(endpoint, '/events', {
      type: 'Normal',
      reason: 'Acknowledged',
      message: 'all fine',
    }).then(
      () => undefined,
      (e: Error & { status?: number }) => e,
    );
    expect(forged?.status).to.equal(400);
  });

  it('under approval mode Reject (nobody waits for the outcome) the operator files the expiry itself', async () => {
    const live = JSON.parse((await c.kubectl(['get', 'aap', 'billing-agent', '-n', NS, '-o', 'json'])).stdout);
    const policy: AgentAccessPolicy = {
      apiVersion: live.apiVersion,
      kind: live.kind,
      metadata: { name: live.metadata.name, namespace: NS },
      spec: { ...live.spec, approval: { ...live.spec.approval, mode: 'Reject' } },
    };
    expect((await c.kubectl(['apply', '-f', '-'], { input: stringify(policy) })).code).to.equal(0);
    proxy.updatePolicy(structuredClone(policy));
    const { host, port } = proxy.addresses()[0]!;
    const agent = new pg.Client({
      host,
      port,
      user: 'agent',
      database: 'billing',
      password: await stack.token('agent-1'),
    });
    await agent.connect();
    const refused = await agent.query('UPDATE scratch SET v = 8').then(
      () => undefined,
      (x: Error) => x,
    );
    expect(refused?.message).to.contain('is pending');
    await agent.end();
    const item = await eventually(
      'the Reject-mode expiry filed',
      async () => {
        const d = await itemOf('ApprovalExpired', 'writes-need-approval');
        return d?.status?.count === 2 ? d : undefined;
      },
      30_000,
      250,
    );
    const filed = item.status.deviations.find((x: any) => x.statement === 'UPDATE scratch SET v = 8');
    expect(filed).to.deep.include({ pod: 'agent-pod' });
    expect(filed.reason).to.contain('mode Reject');
    expect(filed.auditHash).to.equal(undefined);
    // The chain names the request that expired (approval.requested), which the reason names too.
    const requested = chain().find(
      (r) => r.event.action === 'approval.requested' && r.db?.query?.text === 'UPDATE scratch SET v = 8',
    );
    expect(filed.reason).to.contain(requested.detail.approvalRequest);
  });

  it('the sidecar as injected (agentgate proxy --policy-ref with its own token) reports, and its Events come from the operator', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const live = JSON.parse((await c.kubectl(['get', 'aap', 'billing-agent', '-n', NS, '-o', 'json'])).stdout);
    const cliPolicy = {
      apiVersion: live.apiVersion,
      kind: live.kind,
      metadata: { name: 'cli-agent', namespace: NS },
      spec: { ...live.spec, targets: live.spec.targets.map((t: any) => ({ ...t, listen: `127.0.0.1:${port}` })) },
    };
    expect((await c.kubectl(['apply', '-f', '-'], { input: stringify(cliPolicy) })).code).to.equal(0);
    await eventually(
      'cli-agent Ready',
      async () =>
        (await c.kubectl(['get', 'aap', 'cli-agent', '-n', NS, '-o', 'jsonpath={.status.conditions[0].status}']))
          .stdout === 'True',
    );
    await c.kubectl(['create', '-f', '-'], {
      input: stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: 'cli-pod',
          namespace: NS,
          annotations: { 'agentgate.dev/status': JSON.stringify({ policy: `${NS}/cli-agent` }) },
        },
        spec: { serviceAccountName: 'billing-agent', containers: [{ name: 'agent', image: 'example.com/agent:1' }] },
      }),
    });
    const podUid = (await c.kubectl(['get', 'pod', 'cli-pod', '-n', NS, '-o', 'jsonpath={.metadata.uid}'])).stdout;
    const tokenFile = join(stack.dir, 'cli-pod-token');
    writeFileSync(tokenFile, await proxyToken(c, NS, 'billing-agent', 'cli-pod'));
    const caFile = join(stack.dir, 'operator-ca.crt');
    writeFileSync(caFile, endpoint.ca!);
    let sidecar: ChildProcess | undefined;
    try {
      sidecar = spawn(
        process.execPath,
        [
          join(ROOT, 'bin/agentgate.js'),
          'proxy',
          '--policy-ref',
          `${NS}/cli-agent`,
          '--audit-file',
          join(stack.dir, 'cli-audit.log'),
          '--no-audit-stdout',
          '--operator-url',
          endpoint.url,
          '--operator-ca',
          caFile,
          '--health-address',
          '127.0.0.1:0',
        ],
        {
          env: {
            ...process.env,
            KUBECONFIG: c.kubeconfig,
            POD_NAME: 'cli-pod',
            POD_NAMESPACE: NS,
            POD_UID: podUid,
            AGENTGATE_PROXY_TOKEN_FILE: tokenFile,
            BILLING_DB_PASSWORD: 'agent-local-password',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let logs = '';
      sidecar.stderr!.on('data', (d) => (logs += d));
      sidecar.stdout!.on('data', (d) => (logs += d));
      await eventually('sidecar ready', async () => logs.includes('"message":"ready"'), 60_000, 200).catch((e) => {
        throw new Error(`${(e as Error).message}\n${logs}`);
      });
      const agent = new pg.Client({
        host: '127.0.0.1',
        port,
        user: 'agent',
        database: 'billing',
        password: await stack.token('agent-1'),
      });
      await agent.connect();
      await agent.query('SELECT * FROM payroll.salaries').catch(() => undefined);
      await agent.end();
      const item = await eventually("the sidecar's report", async () =>
        (await items()).find(
          (d) => d.spec.policyRef.name === 'cli-agent' && d.spec.rule === 'payroll' && d.status?.count === 1,
        ),
      );
      const chained = readFileSync(join(stack.dir, 'cli-audit.log'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .find((r) => r.rule?.name === 'payroll');
      expect(item.status.deviations[0]).to.deep.include({ auditHash: chained.hash, pod: 'cli-pod' });
      const event = await eventually(
        "the operator's Event on the sidecar's pod",
        async () =>
          JSON.parse(
            (
              await c.kubectl([
                'get',
                'events',
                '-n',
                NS,
                '--field-selector',
                'involvedObject.name=cli-pod,reason=StatementDenied',
                '-o',
                'json',
              ])
            ).stdout,
          ).items[0],
      );
      expect(event.source.component).to.equal('agentgate-operator');
      const healthPort =
        /"address":"[\d.]+:(\d+)"[^\n]*"message":"health and metrics"|"message":"health and metrics"[^\n]*"address":"[\d.]+:(\d+)"/.exec(
          logs,
        );
      const metrics = await (await fetch(`http://127.0.0.1:${healthPort?.[1] ?? healthPort?.[2]}/metrics`)).text();
      expect(metrics)
        .to.contain('agentgate_proxy_deviations_unreported{reason="queued"} 0')
        .and.contain('agentgate_proxy_deviations_unreported{reason="dropped"} 0');
    } finally {
      sidecar?.kill('SIGTERM');
    }
  });

  it("RBAC with the chart's roles: reviewers may patch items; the agent's service account may neither patch, create, write status nor create Events", async () => {
    const can = async (args: string[], who: { as?: string; impersonate?: string }): Promise<boolean> =>
      (
        await c.kubectl(
          ['auth', 'can-i', ...args, '-n', NS, ...(who.impersonate ? ['--as', who.impersonate] : [])],
          who.as ? { as: who.as } : {},
        )
      ).stdout.trim() === 'yes';
    expect(await can(['patch', 'deviationreviews.agentgate.dev'], { as: 'approver-1' })).to.equal(true);
    expect(await can(['list', 'deviationreviews.agentgate.dev'], { as: 'approver-2' })).to.equal(true);
    expect(
      await can(['patch', 'deviationreviews.agentgate.dev', '--subresource=status'], { as: 'approver-1' }),
    ).to.equal(false);
    expect(await can(['delete', 'deviationreviews.agentgate.dev'], { as: 'approver-1' })).to.equal(false);
    for (const args of [
      ['patch', 'deviationreviews.agentgate.dev'],
      ['create', 'deviationreviews.agentgate.dev'],
      ['patch', 'deviationreviews.agentgate.dev', '--subresource=status'],
      ['create', 'events'],
      ['delete', 'deviationreviews.agentgate.dev'],
    ]) {
      expect(await can(args, { impersonate: SA }), `${SA} ${args.join(' ')}`).to.equal(false);
    }
    expect(await can(['watch', 'approvalrequests.agentgate.dev'], { impersonate: SA })).to.equal(true);
  });

  it("kubectl patch: the agent's token, dev-user and a person who triggered a run are refused; a reviewer acknowledges and the webhook stamps who", async () => {
    const denial = await itemOf('Denial', 'no-ddl');
    const name = denial.metadata.name;
    // The agent's own token (its service account, as the API server authenticates it).
    const agentToken = (
      await c.kubectl(['create', 'token', 'billing-agent', '-n', NS, '--duration', '10m'])
    ).stdout.trim();
    const byAgent = await patchDecision(name, { state: 'Acknowledged' }, { token: agentToken });
    expect(byAgent.code).to.not.equal(0);
    expect(byAgent.stderr).to.match(/forbidden/i);
    // Even with patch rights the webhook refuses the agent itself.
    await c.kubectl([
      'create',
      'role',
      'agent-may-patch',
      '-n',
      NS,
      '--verb=patch,get',
      '--resource=deviationreviews.agentgate.dev',
    ]);
    await c.kubectl([
      'create',
      'rolebinding',
      'agent-may-patch',
      '-n',
      NS,
      '--role=agent-may-patch',
      `--serviceaccount=${NS}:billing-agent`,
    ]);
    const byAgentWithRbac = await eventually(
      'the webhook answers the agent',
      async () => {
        const r = await patchDecision(name, { state: 'Acknowledged' }, { token: agentToken });
        return r.stderr.includes('no self-review') ? r : undefined;
      },
      10_000,
      200,
    );
    expect(byAgentWithRbac.code).to.not.equal(0);
    const byDev = await patchDecision(name, { state: 'Acknowledged' }, { as: 'dev-user' });
    expect(byDev.code).to.not.equal(0);
    expect(byDev.stderr).to.contain('dev-user is not a reviewer for policy billing-agent');

    // approver-2 triggered a run (its run token named them): the proxy reports that deviation with them in it.
    await postToOperator(endpoint, '/deviations', {
      deviations: [
        {
          auditHash: 'a'.repeat(64),
          time: new Date().toISOString(),
          kind: 'Denial',
          rule: 'payroll',
          statement: 'SELECT * FROM payroll.salaries',
          session: 's-run',
          triggeredBy: { iss: 'https://idp.example', sub: 'approver-2' },
        },
      ],
    });
    const payroll = await eventually('the payroll item', () => itemOf('Denial', 'payroll'));
    expect(payroll.status.deviations[0].triggeredBy).to.equal('https://idp.example#approver-2');
    const bySelf = await patchDecision(payroll.metadata.name, { state: 'Acknowledged' }, { as: 'approver-2' });
    expect(bySelf.code).to.not.equal(0);
    expect(bySelf.stderr).to.contain(
      'approver-2 triggered a run among these deviations and cannot review them: no self-review',
    );

    const ok = await patchDecision(
      name,
      {
        state: 'Acknowledged',
        comment: 'expected: migration dry run',
        reviewedBy: 'someone-else',
        reviewedAt: '2020-01-01T00:00:00Z',
      },
      { as: 'approver-1' },
    );
    expect(ok.code, ok.stderr).to.equal(0);
    const stamped = (await itemOf('Denial', 'no-ddl')).spec.decision;
    expect(stamped).to.include({
      state: 'Acknowledged',
      comment: 'expected: migration dry run',
      reviewedBy: 'approver-1',
    });
    expect(stamped.reviewedGroups).to.include('agentgate:approvers');
    expect(Math.abs(Date.parse(stamped.reviewedAt) - Date.now())).to.be.lessThan(60_000);
    const reviewed = await eventually('Acknowledged in status', async () => {
      const d = await itemOf('Denial', 'no-ddl');
      return d.status?.state === 'Acknowledged' && d.status.observedGeneration === d.metadata.generation
        ? d
        : undefined;
    });
    expect(reviewed.status.conditions.find((x: any) => x.type === 'Reviewed')).to.include({
      status: 'True',
      reason: 'Acknowledged',
      observedGeneration: reviewed.metadata.generation,
    });
    expect((await c.kubectl(['get', 'dr', name, '-n', NS])).stdout).to.match(/Acknowledged\s+approver-1/);

    // Final: no flip-flopping; nothing else changes; status is the operator's.
    const flip = await patchDecision(name, { state: 'Escalated', ticket: 'SEC-1' }, { as: 'approver-2' });
    expect(flip.stderr).to.contain('a review decision is final');
    const tamper = await c.kubectl(
      [
        'patch',
        'dr',
        name,
        '-n',
        NS,
        '--type',
        'merge',
        '-p',
        JSON.stringify({ spec: { rule: 'something-harmless' } }),
      ],
      { as: 'approver-1' },
    );
    expect(tamper.stderr).to.contain('what it reviews cannot be changed');
    const relabel = await c.kubectl(['label', 'dr', name, '-n', NS, 'agentgate.dev/policy=elsewhere', '--overwrite'], {
      as: 'approver-1',
    });
    expect(relabel.stderr).to.contain('label of a DeviationReview cannot be changed');
    // (Here the operator runs as the admin user, so the forger is dev-user, given the RBAC to try.)
    await c.kubectl([
      'create',
      'role',
      'forger',
      '-n',
      NS,
      '--verb=create,patch,get',
      '--resource=deviationreviews.agentgate.dev,deviationreviews.agentgate.dev/status',
    ]);
    await c.kubectl(['create', 'rolebinding', 'forger', '-n', NS, '--role=forger', '--user=dev-user']);
    const status = await eventually(
      'the webhook answers the forger',
      async () => {
        const r = await c.kubectl(
          [
            'patch',
            'dr',
            name,
            '-n',
            NS,
            '--subresource=status',
            '--type',
            'merge',
            '-p',
            JSON.stringify({ status: { count: 0 } }),
          ],
          { as: 'dev-user' },
        );
        return /forbidden: User/.test(r.stderr) ? undefined : r;
      },
      10_000,
      200,
    );
    expect(status.code).to.not.equal(0);
    expect(status.stderr).to.contain('written by the agentgate operator only');
    const create = await c.kubectl(['create', '-f', '-'], {
      input: stringify({
        apiVersion: 'agentgate.dev/v1alpha1',
        kind: 'DeviationReview',
        metadata: { name: 'forged', namespace: NS },
        spec: {
          policyRef: { name: 'billing-agent' },
          agent: { serviceAccount: 'billing-agent' },
          kind: 'Denial',
          rule: 'x',
          day: '2026-01-01',
        },
      }),
      as: 'dev-user',
    });
    expect(create.stderr).to.contain('created by the agentgate operator only');
  });

  it("kubectl agentgate review (the plugin, with the user's kubeconfig context) lists and escalates", async () => {
    process.env.PATH = `${join(ROOT, 'bin')}:${dirname(process.execPath)}:${process.env.PATH}`;
    const payroll = await itemOf('Denial', 'payroll');
    const escalated = await c.kubectl([
      'agentgate',
      'review',
      'escalate',
      payroll.metadata.name,
      '-n',
      NS,
      '--ticket',
      'SEC-7',
      '--context',
      'approver-1',
    ]);
    expect(escalated.code, escalated.stderr).to.equal(0);
    expect(escalated.stdout).to.contain('escalated by approver-1');
    const refused = await c.kubectl([
      'agentgate',
      'review',
      'ack',
      (await itemOf('ApprovalExpired', 'writes-need-approval')).metadata.name,
      '-n',
      NS,
      '--context',
      'dev-user',
    ]);
    expect(refused.code).to.not.equal(0);
    expect(refused.stderr).to.contain('dev-user is not a reviewer');
    await eventually('Escalated', async () => (await itemOf('Denial', 'payroll')).status?.state === 'Escalated');
    const list = await c.kubectl(['agentgate', 'review', 'list', '-n', NS, '--context', 'approver-2']);
    expect(list.code, list.stderr).to.equal(0);
    expect(list.stdout).to.match(/NAME\s+AGENT\s+KIND\s+RULE\s+COUNT\s+FIRST SEEN\s+LAST SEEN\s+STATE\s+REVIEWER/);
    expect(list.stdout).to.match(/Denial\s+payroll\s+1\s+.*Escalated\s+approver-1/);
    const open = await c.kubectl(['agentgate', 'review', 'list', '-n', NS, '--open', '--context', 'approver-2']);
    expect(open.stdout).to.contain('ApprovalExpired').and.not.contain('Escalated');
  });

  it("only the pod's proxy reports, on the pod-facing listener only; the body cannot name another agent or policy", async () => {
    const post = async (url: string, body: unknown, token?: string): Promise<number> => {
      const { request } = await import('node:https');
      return new Promise((resolve, reject) => {
        const req = request(
          url,
          {
            method: 'POST',
            ca: endpoint.ca,
            headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode!);
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify(body));
      });
    };
    const report = {
      deviations: [{ auditHash: 'b'.repeat(64), time: new Date().toISOString(), kind: 'Denial', rule: 'no-ddl' }],
    };
    expect(await post(`${endpoint.url}/deviations`, report)).to.equal(401);
    // The agent's own token (the audience its containers get) is not the proxy's.
    const agentToken = (
      await c.kubectl([
        'create',
        'token',
        'billing-agent',
        '-n',
        NS,
        '--audience',
        'agentgate',
        '--bound-object-kind',
        'Pod',
        '--bound-object-name',
        'agent-pod',
      ])
    ).stdout.trim();
    expect(await post(`${endpoint.url}/deviations`, report, agentToken)).to.equal(401);
    const proxyToken = readFileSync(endpoint.tokenFile, 'utf8').trim();
    for (const forged of [
      { ...report, namespace: 'other' },
      { deviations: [{ ...report.deviations[0], serviceAccount: 'someone-else' }] },
      { deviations: [{ ...report.deviations[0], policy: 'lenient' }] },
    ]) {
      expect(await post(`${endpoint.url}/deviations`, forged, proxyToken), JSON.stringify(forged)).to.equal(400);
    }
    const admission = `https://127.0.0.1:${op.webhookAddress!.port}`;
    expect(await post(`${admission}/deviations`, report, proxyToken)).to.equal(404);
    expect(
      await post(`${admission}/events`, { type: 'Warning', reason: 'PolicyUnavailable', message: 'x' }, proxyToken),
    ).to.equal(404);
    expect(await post(`${endpoint.url}/admit-reviews`, {})).to.equal(404);
    expect(
      (await items()).filter((d) => d.status?.deviations?.some((x: any) => x.auditHash === 'b'.repeat(64))),
    ).to.have.length(0);
  });

  it('an item left open past maxOpenHours becomes an Exception: status, Event and the queue metric', async () => {
    const before = await itemOf('ApprovalExpired', 'writes-need-approval');
    expect(before.status.state).to.equal('Open');
    f.clock.offsetMs = 2 * 3_600_000; // maxOpenHours is 1
    op.reviews!.resync();
    const after = await eventually('Exception', async () => {
      const d = await itemOf('ApprovalExpired', 'writes-need-approval');
      return d.status?.state === 'Exception' ? d : undefined;
    });
    expect(after.status.conditions.find((x: any) => x.type === 'Exception')).to.include({
      status: 'True',
      reason: 'Overdue',
    });
    await eventually(
      'ReviewOverdue Event',
      async () =>
        (
          await c.kubectl([
            'get',
            'events',
            '-n',
            NS,
            '--field-selector',
            `involvedObject.name=${after.metadata.name},reason=ReviewOverdue`,
            '-o',
            'name',
          ])
        ).stdout.trim() !== '',
    );
    // Acknowledged and Escalated items stay what the reviewer decided.
    expect((await itemOf('Denial', 'no-ddl')).status.state).to.equal('Acknowledged');
    // The gauge reads the operator's cache, which follows the API server through its watch.
    const count = async (state: string): Promise<number> =>
      (await items()).filter((d) => d.status?.state === state).length;
    await eventually('every open item an Exception', async () => (await count('Open')) === 0);
    const exceptions = await count('Exception');
    expect(exceptions).to.be.greaterThan(0);
    const metrics = await eventually(
      'the queue metric',
      async () => {
        const text = await (await fetch(`http://127.0.0.1:${op.address!.port}/metrics`)).text();
        return text.includes(`agentgate_deviation_reviews{namespace="${NS}",state="Exception"} ${exceptions}`)
          ? text
          : undefined;
      },
      10_000,
      200,
    ).catch(async (e: Error) => {
      const text = await (await fetch(`http://127.0.0.1:${op.address!.port}/metrics`)).text();
      throw new Error(
        `${e.message}\n${text
          .split('\n')
          .filter((l) => l.includes('deviation'))
          .join('\n')}`,
      );
    });
    expect(metrics).to.contain(`agentgate_deviation_reviews{namespace="${NS}",state="Acknowledged"} 1`);
    // 3 no-ddl denials from the session, the payroll one reported for approver-2's run, the sidecar's payroll one.
    expect(metrics).to.contain(`agentgate_deviations_reported_total{namespace="${NS}",kind="Denial"} 5`);
    // The reviewer can still decide an exception (it stays in the report as one that was late).
    const ack = await patchDecision(
      after.metadata.name,
      { state: 'Acknowledged', comment: 'approver was on leave' },
      { as: 'approver-2' },
    );
    expect(ack.code, ack.stderr).to.equal(0);
    await eventually(
      'Acknowledged after the Exception',
      async () => (await itemOf('ApprovalExpired', 'writes-need-approval')).status?.state === 'Acknowledged',
    );
  });
});
