/**
 * MCP targets on the real API server: the SDK's Client is the agent, the reference filesystem server
 * (over stdio, launched by the sidecar) and a rug-pulling SDK server are the upstreams, the proxy asks
 * the operator for ApprovalRequests with its pod-bound token (KubeApprovals) and sends its Events there.
 * A held tool call shows in `kubectl get apr` with the tool, masked arguments and their hash and runs
 * once an approver patches it; a changed tool definition turns the policy's ToolDefinitionsAccepted
 * condition False (kept across reconciles) until the spec accepts its fingerprint.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { stringify } from 'yaml';
import { Operator } from '../../operator/operator.js';
import { KubeApprovals } from '../../proxy/approvals/kube-approvals.js';
import { postToOperator, type OperatorEndpoint } from '../../proxy/approvals/operator-client.js';
import { operatorEvents } from '../../proxy/cluster/operator-events.js';
import { ensureDevKey, issueDevToken } from '../../proxy/identity/dev-issuer.js';
import { callFacts } from '../../proxy/mcp/mcp-facts.js';
import { toolBaselinesOf, trustedPolicy } from '../../shared/contract/compiled-policy.js';
import { GuardProxy } from '../../proxy/server.js';
import type { AgentAccessPolicy, McpTargetSpec } from '../../shared/contract/policy-types.js';
import { eventually, ns, testCluster, type TestCluster } from './cluster.js';
import { proxyToken, webhookCa } from './proxy-credentials.js';
import { agentPod } from './agent-objects.js';
import { operatorFeeds } from '../../proxy/cluster/operator-feed.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const NS = ns('e2e-mcp');
const CONFIG = ns('agentgate-mcp');
const ISSUER = 'https://issuer.example';

const text = (r: CallToolResult): string =>
  r.content.map((c) => (c.type === 'text' ? c.text : `[${c.type}]`)).join('\n');

describe('MCP targets on the API server: approvals by kubectl patch, rug pulls on the policy status', function () {
  this.timeout(180_000);
  let c: TestCluster;
  let op: Operator;
  let proxy: GuardProxy;
  let broker: KubeApprovals;
  let endpoint: OperatorEndpoint;
  let policy: AgentAccessPolicy;
  let dir: string;
  let files: string;
  let auditFile: string;

  const agent = async (target: string, subject = 'agent-1'): Promise<Client> => {
    const a = proxy.addresses().find((x) => x.target === target && (x.kind ?? 'reverse') === 'reverse')!;
    const token = await issueDevToken({ dir, issuer: ISSUER, subject, audience: 'agentgate', ttlSeconds: 600 });
    const client = new Client({ name: 'e2e-agent', version: '1' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${a.port}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    return client;
  };
  const records = (): any[] => {
    proxy.audit.flush();
    return readFileSync(auditFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
  };
  const getPolicy = async (): Promise<any> =>
    JSON.parse((await c.kubectl(['get', 'aap', 'billing-agent', '-n', NS, '-o', 'json'])).stdout);
  const toolCondition = async (): Promise<any> =>
    (await getPolicy()).status?.conditions?.find((x: any) => x.type === 'ToolDefinitionsAccepted');
  const applyPolicy = async (edit: (p: AgentAccessPolicy) => void): Promise<void> => {
    edit(policy);
    const r = await c.kubectl(['apply', '-f', '-'], { input: stringify(policy) });
    expect(r.code, r.stderr).to.equal(0);
    proxy.updatePolicy(structuredClone(policy));
  };
  const pendingFor = (sha: string): Promise<any> =>
    eventually(
      `a Pending ApprovalRequest for ${sha.slice(0, 12)}`,
      async () => {
        const r = await c.kubectl(['get', 'apr', '-n', NS, '-o', 'json']);
        return JSON.parse(r.stdout).items.find(
          (a: any) => (a.status?.phase ?? 'Pending') === 'Pending' && a.spec.command.sha256 === sha,
        );
      },
      30_000,
      100,
    );
  const decide = (name: string, as: string, decision: string) =>
    c.kubectl(
      [
        'patch',
        'apr',
        name,
        '-n',
        NS,
        '--type',
        'merge',
        '-p',
        JSON.stringify({ spec: { decision, comment: 'ticket 7' } }),
      ],
      { as },
    );

  before(async function () {
    this.timeout(1_200_000);
    c = await testCluster();
    await c.kubectl(['create', 'namespace', NS]);
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
    await c.kubectl(['create', 'clusterrolebinding', CONFIG, `--clusterrole=${CONFIG}`, '--group=agentgate:approvers']);
    dir = mkdtempSync(join(tmpdir(), 'agentgate-e2e-mcp-'));
    files = mkdtempSync(join(tmpdir(), 'agentgate-e2e-mcp-files-'));
    writeFileSync(join(files, 'notes.txt'), 'call carol@example.com about the launch\n');
    auditFile = join(dir, 'audit.log');
    const key = await ensureDevKey(dir);
    policy = {
      apiVersion: 'agentgate.dev/v1alpha1',
      kind: 'AgentAccessPolicy',
      metadata: { name: 'billing-agent', namespace: NS },
      spec: {
        identity: { issuers: [{ issuer: ISSUER, audiences: ['agentgate'], jwksFile: key.jwksFile }] },
        targets: [
          {
            name: 'files',
            protocol: 'mcp',
            listen: '127.0.0.1:1',
            upstream: { command: join(ROOT, 'node_modules/.bin/mcp-server-filesystem'), args: [files] },
          },
          {
            name: 'weather',
            protocol: 'mcp',
            listen: '127.0.0.1:2',
            upstream: { command: process.execPath, args: [join(ROOT, 'test/support/mcp-rug-pull-server.mjs')] },
          },
        ],
        masking: { detectors: ['email'], defaultStrategy: 'redact' },
        rules: [
          {
            name: 'writes-need-approval',
            when: { mcp: { tools: ['write_file', 'edit_file'] } },
            action: 'RequireApproval',
            message: 'writes need a human',
          },
        ],
        defaultAction: 'Allow',
        approval: {
          mode: 'Hold',
          timeoutSeconds: 30,
          approvers: { groups: ['agentgate:approvers'] },
          requiredApprovals: 1,
          grant: { ttlSeconds: 0 },
          retentionSeconds: 3600,
        },
      },
    } as unknown as AgentAccessPolicy;
    const applied = await c.kubectl(['apply', '-f', '-'], { input: stringify(policy) });
    expect(applied.code, applied.stderr).to.equal(0);
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
    await c.kubectl(['create', 'serviceaccount', 'billing-agent', '-n', NS]);
    await c.kubectl(['create', '-f', '-'], {
      input: stringify(agentPod(NS)),
    });
    const tokenFile = join(dir, 'pod-token');
    writeFileSync(tokenFile, await proxyToken(c, NS, 'billing-agent', 'agent-pod'));
    const ca = await webhookCa(c, NS);
    endpoint = { url: `https://127.0.0.1:${op.operatorAddress!.port}`, tokenFile, ca };
    broker = new KubeApprovals({
      feeds: operatorFeeds(endpoint),
      namespace: NS,
      policy: 'billing-agent',
      operator: endpoint,
    });
    await broker.start();
    // As cli's cluster mode wires the sidecar: approvals through the operator, Events to its /events.
    proxy = await GuardProxy.start({
      policy: structuredClone(policy),
      auditFile,
      recordingsDir: join(dir, 'sessions'),
      env: {},
      approvals: broker,
      listenOverride: {
        files: '127.0.0.1:0',
        'files/forward': '127.0.0.1:0',
        weather: '127.0.0.1:0',
        'weather/forward': '127.0.0.1:0',
      },
      events: operatorEvents((path, body) => postToOperator(endpoint, path, body)),
    });
  });
  after(async () => {
    await proxy?.stop();
    await broker?.stop();
    await op?.stop();
    await c?.kubectl(['delete', 'mutatingwebhookconfiguration', CONFIG]);
    await c?.kubectl(['delete', 'clusterrolebinding', CONFIG]);
    await c?.kubectl(['delete', 'clusterrole', CONFIG]);
  });

  it('holds a tool call in an ApprovalRequest that kubectl shows (tool, masked arguments, hash) until an approver patches it', async () => {
    const client = await agent('files');
    try {
      const args = { path: join(files, 'out.txt'), content: 'send the numbers to dave@example.com' };
      const sha = callFacts('files', 'tools/call', { name: 'write_file', arguments: args }).sha256;
      const progress: string[] = [];
      const held = client.callTool({ name: 'write_file', arguments: args }, undefined, {
        onprogress: (p) => void progress.push(p.message ?? ''),
        resetTimeoutOnProgress: true,
      });
      const apr = await pendingFor(sha);
      expect(apr.spec).to.deep.include({ policy: 'billing-agent', rule: 'writes-need-approval', target: 'files' });
      expect(apr.spec.requester.subject).to.equal('agent-1');
      expect(apr.spec.command.text)
        .to.include('tools/call write_file')
        .and.include(`sha256 ${sha}`)
        .and.include('send the numbers to')
        .and.not.include('dave@example.com');
      // The operator sets the phase shortly after the request appears (it may be busy with the sidecar's reports).
      const table = await eventually('the ApprovalRequest listed as Pending', async () => {
        const t = await c.kubectl(['get', 'apr', '-n', NS]);
        const line = t.stdout.split('\n').find((l) => l.startsWith(apr.metadata.name)) ?? '';
        return /Pending\s+agent-1\s+files\s+MCP tools\/call write_file/.test(line) ? t : undefined;
      });
      expect(table.stdout).to.match(/PHASE\s+REQUESTER\s+TARGET\s+COMMAND/);
      expect(existsSync(join(files, 'out.txt'))).to.equal(false);
      // Someone outside the approvers' group cannot release it.
      expect((await decide(apr.metadata.name, 'dev-user', 'Approved')).code).to.not.equal(0);
      const r = await decide(apr.metadata.name, 'approver-1', 'Approved');
      expect(r.code, r.stderr).to.equal(0);
      const result = (await held) as CallToolResult;
      expect(result.isError, text(result)).to.not.equal(true);
      expect(readFileSync(join(files, 'out.txt'), 'utf8')).to.equal(args.content);
      expect(progress[0]).to.equal(`waiting for ApprovalRequest ${NS}/${apr.metadata.name}`);
      await eventually(
        'Used',
        async () =>
          JSON.parse((await c.kubectl(['get', 'apr', apr.metadata.name, '-n', NS, '-o', 'json'])).stdout).status
            ?.phase === 'Used',
      );
      const recs = records();
      expect(
        recs.find((x) => x.event.action === 'approval.grant-used' && x.detail.approvalRequest === apr.metadata.name)
          ?.detail.sha256,
      ).to.equal(sha);
      const decided = recs.find((x) => x.event.action === 'statement.decision' && x.mcp?.argumentsSha256 === sha)!;
      expect(decided).to.deep.include({
        protocol: 'mcp',
        decision: 'RequireApproval',
        rule: { name: 'writes-need-approval' },
      });
      expect(decided.mcp).to.include({ tool: 'write_file' });
      expect(decided.mcp.arguments).to.not.include('dave@example.com');
    } finally {
      await client.close();
    }
  });

  it('a tool call an approver denies is a tool error, and the file is never written', async () => {
    const client = await agent('files');
    try {
      const args = { path: join(files, 'denied.txt'), content: 'no' };
      const sha = callFacts('files', 'tools/call', { name: 'write_file', arguments: args }).sha256;
      const held = client.callTool({ name: 'write_file', arguments: args }, undefined, {
        resetTimeoutOnProgress: true,
        onprogress: () => undefined,
      });
      const apr = await pendingFor(sha);
      expect((await decide(apr.metadata.name, 'approver-2', 'Denied')).code).to.equal(0);
      const result = (await held) as CallToolResult;
      expect(result.isError).to.equal(true);
      expect(text(result)).to.include('was denied');
      expect(existsSync(join(files, 'denied.txt'))).to.equal(false);
    } finally {
      await client.close();
    }
  });

  it('a rug pull sets ToolDefinitionsAccepted False on the policy (kept across reconciles) until acceptedTools lists the fingerprint', async () => {
    const client = await agent('weather');
    try {
      const changed = new Promise<void>((resolve) =>
        client.setNotificationHandler(ToolListChangedNotificationSchema, async () => resolve()),
      );
      expect(
        text((await client.callTool({ name: 'weather', arguments: { city: 'Oslo' } })) as CallToolResult),
      ).to.equal('Sunny in Oslo');
      await changed;
      const blocked = (await client.callTool({
        name: 'weather',
        arguments: { city: 'Oslo', notes: 'id_rsa' },
      })) as CallToolResult;
      expect(blocked.isError).to.equal(true);
      const fp = records().find((x) => x.rule?.name === 'tool-definition-changed').detail.sha256 as string;
      expect(fp).to.match(/^[0-9a-f]{64}$/);

      // The operator shows it on the policy: a condition naming target, tool and fingerprint, and the change itself.
      const cond = await eventually(
        'ToolDefinitionsAccepted False',
        async () => {
          const x = await toolCondition();
          return x?.status === 'False' ? x : undefined;
        },
        30_000,
        100,
      );
      const generation = (await getPolicy()).metadata.generation;
      expect(cond).to.include({ reason: 'ToolDefinitionChanged', observedGeneration: generation });
      expect(cond.message).to.include('tool "weather" on target weather').and.include(fp).and.include('agent-pod');
      const status = (await getPolicy()).status;
      expect(status.conditions[0]).to.include({ type: 'Ready', status: 'True' });
      expect(status.toolDefinitionChanges).to.have.length(1);
      expect(status.toolDefinitionChanges[0]).to.include({
        target: 'weather',
        tool: 'weather',
        sha256: fp,
        pod: 'agent-pod',
      });
      expect(status.toolDefinitionChanges[0].baseline)
        .to.match(/^[0-9a-f]{64}$/)
        .and.not.equal(fp);
      await eventually(
        'ToolDefinitionChanged Event on the pod',
        async () =>
          (
            await c.kubectl([
              'get',
              'events',
              '-n',
              NS,
              '--field-selector',
              'involvedObject.name=agent-pod,reason=ToolDefinitionChanged',
              '-o',
              'name',
            ])
          ).stdout.trim() !== '',
      );

      // A spec change that does not accept it: the policy controller reconciles; the condition stays False at the new generation.
      await applyPolicy((p) => void (p.spec.rules![0]!.message = 'writes need a human, ticket required'));
      await eventually(
        'Ready at the new generation',
        async () => {
          const p = await getPolicy();
          return (
            p.status.conditions[0].observedGeneration === p.metadata.generation && p.metadata.generation > generation
          );
        },
        30_000,
        100,
      );
      const kept = await eventually(
        'condition at the new generation',
        async () => {
          const x = await toolCondition();
          return x?.observedGeneration > generation ? x : undefined;
        },
        30_000,
        100,
      );
      expect(kept).to.include({ status: 'False', reason: 'ToolDefinitionChanged' });
      expect(kept.lastTransitionTime).to.equal(cond.lastTransitionTime);

      // The admin accepts the fingerprint: the condition clears, the change list empties, the tool passes again.
      await applyPolicy(
        (p) => void ((p.spec.targets[1] as McpTargetSpec).mcp = { acceptedTools: [{ tool: 'weather', sha256: fp }] }),
      );
      const cleared = await eventually(
        'ToolDefinitionsAccepted True',
        async () => {
          const x = await toolCondition();
          return x?.status === 'True' ? x : undefined;
        },
        30_000,
        100,
      );
      expect(cleared.reason).to.equal('Accepted');
      expect((await getPolicy()).status.toolDefinitionChanges).to.deep.equal([]);
      expect(
        text((await client.callTool({ name: 'weather', arguments: { city: 'Bergen' } })) as CallToolResult),
      ).to.equal('Sunny in Bergen');
    } finally {
      await client.close();
    }
  });

  it("the operator takes a tool-definition report only as its shape and the pod's policy allow", async () => {
    const fp = 'a'.repeat(64);
    const post = (body: object): Promise<unknown> =>
      postToOperator(endpoint, '/events', { type: 'Warning', reason: 'ToolDefinitionChanged', message: 'x', ...body });
    for (const [body, why] of [
      [{ toolDefinition: { target: 'nope', tool: 't', sha256: fp } }, /no MCP target nope/],
      [{ toolDefinition: { target: 'weather', tool: 't', sha256: 'A'.repeat(64) } }, /64 lowercase hex/],
      // A tool's name is kept as its server gives it (control characters too), up to acceptedTools' 256.
      [{ toolDefinition: { target: 'weather', tool: 't'.repeat(257), sha256: fp } }, /at most 256/],
      [{ toolDefinition: { target: 'weather', tool: 't', sha256: fp, pod: 'other' } }, /unknown fields/],
      [
        { reason: 'PolicyUnavailable', toolDefinition: { target: 'weather', tool: 't', sha256: fp } },
        /goes with reason ToolDefinitionChanged or ToolDefinitionFirstSeen only/,
      ],
    ] as const) {
      let err: Error | undefined;
      await post(body).catch((e: Error) => (err = e));
      expect(err?.message, JSON.stringify(body)).to.match(why);
    }
    // Without the pod-bound proxy token (the agent's own token, say) nothing is taken.
    const agentToken = join(dir, 'agent-token');
    writeFileSync(
      agentToken,
      await issueDevToken({ dir, issuer: ISSUER, subject: 'agent-1', audience: 'agentgate', ttlSeconds: 600 }),
    );
    let refused: Error | undefined;
    await postToOperator({ ...endpoint, tokenFile: agentToken }, '/events', {
      type: 'Warning',
      reason: 'ToolDefinitionChanged',
      message: 'x',
      toolDefinition: { target: 'weather', tool: 'weather', sha256: fp },
    }).catch((e: Error) => (refused = e));
    expect(refused?.message).to.match(/401|refused/);
    expect((await getPolicy()).status.toolDefinitionChanges ?? []).to.deep.equal([]);
  });

  it('first-seen fingerprints land on the policy status (first report wins) and reach a second sidecar, which blocks another definition', async () => {
    // The sidecar reported the tools it listed in the tests above; the operator kept the first of each.
    const kept = await eventually('status.toolDefinitionBaselines for weather', async () => {
      const b = ((await getPolicy()).status?.toolDefinitionBaselines ?? []) as any[];
      return b.find((x) => x.target === 'weather' && x.tool === 'weather');
    });
    expect(kept.sha256).to.match(/^[0-9a-f]{64}$/);
    expect(kept.pod).to.equal('agent-pod');
    const other = 'c'.repeat(64);
    const answer = await postToOperator(endpoint, '/events', {
      type: 'Normal',
      reason: 'ToolDefinitionFirstSeen',
      message: 'x',
      toolDefinition: { target: 'weather', tool: 'weather', sha256: other },
    });
    expect(answer).to.deep.equal({ baseline: 'known' });
    const obj = await getPolicy();
    expect(obj.status.toolDefinitionBaselines.find((x: any) => x.tool === 'weather').sha256).to.equal(kept.sha256);

    // What a second (or restarted) sidecar enforces carries the baseline: a server now showing another
    // definition of the tool is blocked there, though that sidecar never saw the first one.
    const trusted = trustedPolicy(obj);
    if ('reason' in trusted) throw new Error(trusted.reason);
    expect(toolBaselinesOf(trusted.policy).get('weather\nweather')).to.equal(kept.sha256);
    const second = structuredClone(trusted.policy);
    const weather = second.spec.targets.find((t) => t.name === 'weather') as McpTargetSpec;
    weather.upstream.args = [join(ROOT, 'test/support/mcp-weather-variant.mjs')];
    delete weather.mcp; // no pinned fingerprints: the baseline alone decides
    const dir2 = mkdtempSync(join(tmpdir(), 'agentgate-e2e-mcp-second-'));
    const proxy2 = await GuardProxy.start({
      policy: second,
      auditFile: join(dir2, 'audit.log'),
      recordingsDir: join(dir2, 'sessions'),
      env: {},
      listenOverride: {
        files: '127.0.0.1:0',
        'files/forward': '127.0.0.1:0',
        weather: '127.0.0.1:0',
        'weather/forward': '127.0.0.1:0',
      },
    });
    try {
      const a = proxy2.addresses().find((x) => x.target === 'weather' && (x.kind ?? 'reverse') === 'reverse')!;
      const token = await issueDevToken({
        dir,
        issuer: ISSUER,
        subject: 'agent-1',
        audience: 'agentgate',
        ttlSeconds: 600,
      });
      const client = new Client({ name: 'e2e-agent', version: '1' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${a.port}/mcp`), {
          requestInit: { headers: { authorization: `Bearer ${token}` } },
        }),
      );
      try {
        expect((await client.listTools()).tools.map((t) => t.name)).to.not.include('weather');
        const r = (await client.callTool({ name: 'weather', arguments: { city: 'Oslo' } })) as CallToolResult;
        expect(r.isError).to.equal(true);
        expect(text(r)).to.include('changed its definition');
      } finally {
        await client.close();
      }
    } finally {
      await proxy2.stop();
    }
  });
});
