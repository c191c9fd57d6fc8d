/**
 * The operator witnesses the proxies' audit chains. The real `agentgate proxy --policy-ref` CLI runs
 * as a pod's sidecar would (POD_NAME, the pod-bound token, the operator CA from the environment),
 * checkpoints its chain at the operator, and `agentgate audit verify --cluster` then catches a cut-off
 * tail that the hash chain alone accepts. A chain that goes backwards is refused with an Event.
 */
import { expect } from 'chai';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { stringify } from 'yaml';
import { CoreV1Api } from '@kubernetes/client-node';
import { AUDIT_KEYS_SECRET } from '../../operator/audit/checkpoint-witness.js';
import { SigningKeys } from '../../operator/identity/signing-keys.js';
import { Operator } from '../../operator/operator.js';
import { AGENT_DB_PASSWORD, startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';
import { eventually, ns, testCluster, type TestCluster } from './cluster.js';
import { agentPod } from './agent-objects.js';
import { loopbackWebhook } from './operator-options.js';

const run = promisify(execFile);
const NS = ns('e2e-ckpt');
const OPNS = ns('e2e-ckpt-op');
const BIN = new URL('../../bin/agentgate.js', import.meta.url).pathname;

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

describe('audit checkpoints witnessed by the operator (real proxy CLI, real API server)', function () {
  this.timeout(180_000);
  let c: TestCluster;
  let op: Operator;
  let stack: LocalStack;
  let dir: string;
  let caFile: string;
  let operatorUrl: string;
  let proxyProc: ChildProcess | undefined;
  let proxyPort: number;
  let healthPort: number;
  let podUid: string;
  const podUidOf = async (name: string): Promise<string> =>
    (await c.kubectl(['get', 'pod', name, '-n', NS, '-o', 'jsonpath={.metadata.uid}'])).stdout;
  const auditFile = (): string => join(dir, 'audit.log');

  const saToken = async (pod?: string, audience = 'agentgate'): Promise<string> => {
    const r = await c.kubectl([
      'create',
      'token',
      'billing-agent',
      '-n',
      NS,
      '--duration',
      '10m',
      '--audience',
      audience,
      ...(pod ? ['--bound-object-kind', 'Pod', '--bound-object-name', pod] : []),
    ]);
    if (r.code !== 0) throw new Error(r.stderr);
    return r.stdout.trim();
  };
  const cli = async (args: string[]): Promise<{ code: number; stdout: string }> => {
    try {
      const r = await run(process.execPath, [BIN, ...args], { env: { ...process.env, KUBECONFIG: c.kubeconfig } });
      return { code: 0, stdout: r.stdout };
    } catch (e) {
      const err = e as { code: number; stdout: string; stderr: string };
      return { code: err.code, stdout: `${err.stdout}${err.stderr}` };
    }
  };
  const post = (token: string | undefined, body: unknown): Promise<{ status: number; json: any }> =>
    new Promise((resolve, reject) => {
      const req = https.request(
        new URL('/audit/checkpoints', operatorUrl),
        {
          method: 'POST',
          ca: readFileSync(caFile),
          headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        },
        (res) => {
          let text = '';
          res.on('data', (d) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify(body));
    });

  before(async function () {
    this.timeout(1_200_000);
    c = await testCluster();
    dir = mkdtempSync(join(tmpdir(), 'agentgate-ckpt-'));
    for (const n of [NS, OPNS]) await c.kubectl(['create', 'namespace', n]);
    await c.kubectl(['create', 'serviceaccount', 'billing-agent', '-n', NS]);
    await c.kubectl(['create', '-f', '-'], {
      input: stringify(agentPod(NS)),
    });
    podUid = await podUidOf('agent-pod');
    op = new Operator({
      kc: c.kc,
      leaseNamespace: OPNS,
      watchNamespace: NS,
      healthAddress: { host: '127.0.0.1', port: 0 },
      webhook: {
        ...loopbackWebhook(OPNS),
        auditWitness: { retentionMs: 4000 },
      },
    });
    await op.start();
    operatorUrl = `https://127.0.0.1:${op.operatorAddress!.port}`;
    const tls = JSON.parse(
      (await c.kubectl(['get', 'secret', 'agentgate-webhook-tls', '-n', OPNS, '-o', 'json'])).stdout,
    );
    caFile = join(dir, 'operator-ca.crt');
    writeFileSync(caFile, Buffer.from(tls.data['ca.crt'], 'base64'));
    const clusterIssuer = JSON.parse(
      (await c.kubectl(['get', '--raw', '/.well-known/openid-configuration'])).stdout,
    ).issuer;

    stack = await startLocalStack();
    await stack.proxy.stop();
    proxyPort = await freePort();
    const policy: AgentAccessPolicy = structuredClone(stack.policy);
    policy.metadata = { name: 'billing-agent', namespace: NS };
    policy.spec.subjects = { serviceAccounts: [{ name: 'billing-agent' }] };
    policy.spec.identity = {
      issuers: [{ issuer: clusterIssuer, audiences: ['agentgate'], kubernetes: true }],
      maxTokenLifetimeSeconds: 900,
    };
    policy.spec.targets[0]!.listen = `127.0.0.1:${proxyPort}`;
    expect((await c.kubectl(['apply', '-f', '-'], { input: stringify(policy) })).code).to.equal(0);
    await eventually(
      'policy Ready',
      async () =>
        (await c.kubectl(['get', 'aap', 'billing-agent', '-n', NS, '-o', 'jsonpath={.status.conditions[0].status}']))
          .stdout === 'True',
    );

    // The sidecar, as injected: pod identity from the environment, the operator's CA from a file.
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, await saToken('agent-pod', 'agentgate-proxy'));
    proxyProc = spawn(
      process.execPath,
      [
        BIN,
        'proxy',
        '--policy-ref',
        `${NS}/billing-agent`,
        '--audit-file',
        auditFile(),
        '--no-audit-stdout',
        '--checkpoint-url',
        operatorUrl,
        '--checkpoint-ca',
        caFile,
        '--checkpoint-every',
        '1',
        '--health-address',
        '127.0.0.1:0',
      ],
      {
        env: {
          ...process.env,
          KUBECONFIG: c.kubeconfig,
          POD_NAME: 'agent-pod',
          POD_NAMESPACE: NS,
          POD_UID: podUid,
          AGENTGATE_PROXY_TOKEN_FILE: tokenFile,
          BILLING_DB_PASSWORD: AGENT_DB_PASSWORD,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let logs = '';
    proxyProc.stderr!.on('data', (d) => (logs += d));
    await eventually('proxy ready', async () => logs.includes('"message":"ready"'), 60_000, 200).catch((e) => {
      throw new Error(`${(e as Error).message}\n${logs}`);
    });
    healthPort = Number(
      /"message":"health and metrics"[^\n]*"address":"[\d.]+:(\d+)"/.exec(logs)?.[1] ??
        /"address":"[\d.]+:(\d+)"[^\n]*"message":"health and metrics"/.exec(logs)?.[1],
    );
  });
  after(async () => {
    proxyProc?.kill('SIGTERM');
    await stack?.postgres.stop();
    await op?.stop();
  });

  it('the proxy checkpoints its chain at the operator, which keeps the latest head per pod', async () => {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: proxyPort,
      user: 'agent',
      database: 'billing',
      password: await saToken('agent-pod'),
    });
    await client.connect();
    await client.query('SELECT count(*) FROM orders');
    await client.query('DELETE FROM orders').catch(() => undefined); // denied: unbounded write
    await client.end();
    const stored = await eventually(
      'checkpoint stored',
      async () => {
        const r = await c.kubectl(['get', 'configmap', `agentgate-audit-checkpoints-${NS}`, '-n', OPNS, '-o', 'json']);
        if (r.code !== 0) return undefined;
        const entry = JSON.parse(JSON.parse(r.stdout).data[podUid] ?? 'null');
        const lines = readFileSync(auditFile(), 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l));
        const denied = lines.find((x) => x.event.action === 'statement.decision' && x.enforced);
        return entry && denied && entry.seq > denied.seq ? entry : undefined;
      },
      30_000,
      300,
    );
    expect(stored).to.include({ stream: `${NS}/agent-pod/${podUid}`, pod: 'agent-pod' });
    const inLog = readFileSync(auditFile(), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((x) => x.event.action === 'audit.checkpoint');
    expect(inLog.length).to.be.greaterThan(0);
    expect(inLog.at(-1).detail.checkpoint.witness).to.equal(operatorUrl);
    // The sidecar's probes and metrics, as the kubelet and Prometheus see them.
    expect((await fetch(`http://127.0.0.1:${healthPort}/readyz`)).status).to.equal(200);
    const metrics = await (await fetch(`http://127.0.0.1:${healthPort}/metrics`)).text();
    expect(metrics).to.match(
      /agentgate_proxy_statements_total\{target="billing-db",decision="Deny",enforced="true"\} 1/,
    );
    expect(metrics).to.match(/agentgate_proxy_audit_checkpoint_failures 0/);
  });

  it('audit verify --cluster: intact log passes; a cut-off tail fails though the hash chain still verifies', async () => {
    proxyProc!.kill('SIGTERM');
    await new Promise((r) => proxyProc!.once('exit', r));
    proxyProc = undefined;
    const ok = await cli(['audit', 'verify', auditFile(), '--cluster', '--operator-namespace', OPNS]);
    expect(ok.code, ok.stdout).to.equal(0);
    expect(ok.stdout).to.match(
      new RegExp(
        `ok: stream ${NS}/agent-pod/${podUid}: \\d+ signed checkpoint\\(s\\) verify; the witness's latest head`,
      ),
    );

    const lines = readFileSync(auditFile(), 'utf8').trim().split('\n');
    const lastDenial = lines.findLastIndex((l) => l.includes('"enforced":true'));
    mkdirSync(join(dir, 'cut'));
    const cut = join(dir, 'cut', 'audit.log'); // no recordings beside it: the chain alone
    writeFileSync(cut, `${lines.slice(0, lastDenial).join('\n')}\n`); // the denial and all after it removed
    expect((await cli(['audit', 'verify', cut])).code).to.equal(0); // the chain alone cannot tell
    const bad = await cli(['audit', 'verify', cut, '--cluster', '--operator-namespace', OPNS]);
    expect(bad.code).to.equal(1);
    expect(bad.stdout).to.contain(`truncated: the witness signed seq`);
    // The session recordings beside the real log hold the removed denial too.
    const rec = await cli(['audit', 'verify', cut, '--recordings', join(dir, 'sessions')]);
    expect(rec.code).to.equal(1);
    expect(rec.stdout).to.contain('not in the audit chain');
  });

  it("refuses a chain that goes backwards (Warning Event on the pod), the agent's token, tokens not bound to a pod, and no token", async () => {
    const last = JSON.parse(readFileSync(auditFile(), 'utf8').trim().split('\n').at(-2)!); // before the final checkpoint record
    const back = await post(await saToken('agent-pod', 'agentgate-proxy'), {
      seq: 1,
      hash: 'a'.repeat(64),
      time: new Date().toISOString(),
    });
    expect(back.status).to.equal(409);
    expect(back.json.detail).to.contain(`went back: witnessed seq ${last.seq}`);
    await eventually('AuditChainRegressed event', async () =>
      (
        await c.kubectl([
          'get',
          'events',
          '-n',
          NS,
          '--field-selector',
          'reason=AuditChainRegressed',
          '-o',
          'jsonpath={.items[*].involvedObject.name}',
        ])
      ).stdout.includes('agent-pod'),
    );
    // The agent shares the service account but holds only the agentgate-audience token: refused.
    const agent = await post(await saToken('agent-pod'), {
      seq: last.seq + 100,
      hash: 'a'.repeat(64),
      time: new Date().toISOString(),
    });
    expect(agent.status).to.equal(401);
    expect(
      (
        await post(await saToken(undefined, 'agentgate-proxy'), {
          seq: 1,
          hash: 'a'.repeat(64),
          time: new Date().toISOString(),
        })
      ).status,
    ).to.equal(403);
    expect((await post(undefined, { seq: 1, hash: 'a'.repeat(64), time: new Date().toISOString() })).status).to.equal(
      401,
    );
    expect((await post(await saToken('agent-pod', 'agentgate-proxy'), { seq: -1, hash: 'x' })).status).to.equal(400);
    // The operator's /metrics counts what it witnessed and refused.
    const m = await (await fetch(`http://127.0.0.1:${op.address!.port}/metrics`)).text();
    expect(Number(/agentgate_audit_checkpoints_total\{result="signed"\} (\d+)/.exec(m)?.[1])).to.be.greaterThan(0);
    expect(m).to.match(/agentgate_audit_checkpoints_total\{result="regressed"\} 1/);
    expect(m).to.match(/agentgate_audit_checkpoints_total\{result="refused"\} 4/);
  });

  it("after the audit key rotates, old checkpoints still verify: the retired key's public half is kept, its private half dropped", async () => {
    // Rotate with a 1 s overlap (the operator's ring uses 30 minutes), prune after it, let the operator reload.
    let t = Date.now();
    const ring = new SigningKeys({
      core: c.kc.makeApiClient(CoreV1Api),
      namespace: OPNS,
      secretName: AUDIT_KEYS_SECRET,
      keepRetiredPublicKeys: true,
      overlapMs: 1000,
      now: () => t,
    });
    await ring.rotate();
    expect(
      JSON.parse(
        Buffer.from(
          JSON.parse((await c.kubectl(['get', 'secret', AUDIT_KEYS_SECRET, '-n', OPNS, '-o', 'json'])).stdout).data[
            'keys.json'
          ],
          'base64',
        ).toString(),
      )[0].jwk.d,
      'within the overlap',
    ).to.be.a('string');
    t += 2000;
    await ring.prune();
    await op.auditKeys!.load();
    const stored = JSON.parse(
      Buffer.from(
        JSON.parse((await c.kubectl(['get', 'secret', AUDIT_KEYS_SECRET, '-n', OPNS, '-o', 'json'])).stdout).data[
          'keys.json'
        ],
        'base64',
      ).toString(),
    );
    expect(stored).to.have.length(2);
    expect(stored[0].jwk.d, 'retired private key').to.equal(undefined);
    expect(stored[1].jwk.d, 'signing key').to.be.a('string');
    // A checkpoint signed with the new key refreshes the published keys beside the checkpoints.
    const other = await post(await saToken('agent-pod', 'agentgate-proxy'), {
      seq: 10_000,
      hash: 'c'.repeat(64),
      time: new Date().toISOString(),
    });
    expect(other.status).to.equal(200);
    expect(JSON.parse(Buffer.from(other.json.jws.split('.')[0], 'base64url').toString()).kid).to.equal(stored[1].kid);
    // The real log's checkpoints (old key) still verify; the witness's head is now the fake seq 10000.
    const r = await cli(['audit', 'verify', auditFile(), '--cluster', '--operator-namespace', OPNS]);
    expect(r.stdout).to.not.contain('signature does not verify');
    expect(r.stdout).to.contain('truncated: the witness signed seq 10000');
  });

  it('drops the checkpoints of pods silent longer than the retention (the ConfigMap stays small)', async () => {
    await c.kubectl(['create', '-f', '-'], {
      input: stringify(agentPod(NS, 'next-pod')),
    });
    const data = async (): Promise<Record<string, string>> =>
      JSON.parse(
        (await c.kubectl(['get', 'configmap', `agentgate-audit-checkpoints-${NS}`, '-n', OPNS, '-o', 'json'])).stdout,
      ).data;
    const signedAt = Date.parse(JSON.parse((await data())[podUid]!).signedAt);
    await new Promise((r) => setTimeout(r, Math.max(0, signedAt + 5000 - Date.now())));
    expect(
      (
        await post(await saToken('next-pod', 'agentgate-proxy'), {
          seq: 1,
          hash: 'b'.repeat(64),
          time: new Date().toISOString(),
        })
      ).status,
    ).to.equal(200);
    expect(Object.keys(await data()).filter((k) => !k.startsWith('jwk.'))).to.deep.equal([await podUidOf('next-pod')]);
  });
});
