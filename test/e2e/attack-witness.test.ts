/**
 * The audit witness knows pods by uid (issue #17, class 5): a pod re-created under the same name is a
 * new stream (no false AuditChainRegressed), and the deleted pod's still-valid token cannot post.
 * Real API server, real bound tokens (`kubectl create token --bound-object-kind Pod`).
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { Operator } from '../../operator/operator.js';
import { eventually, ns, testCluster, type TestCluster } from './cluster.js';
import { agentPod } from './agent-objects.js';
import { loopbackWebhook } from './operator-options.js';

const NS = ns('e2e-atk-witness');
const OPNS = ns('e2e-atk-witness-op');

describe("attack: a pod re-created under the same name, and the deleted pod's token (audit witness)", function () {
  this.timeout(180_000);
  let c: TestCluster;
  let op: Operator;
  let caFile: string;
  let operatorUrl: string;

  const createPod = async (): Promise<string> => {
    await c.kubectl(['create', '-f', '-'], {
      input: stringify(agentPod(NS)),
    });
    return (await c.kubectl(['get', 'pod', 'agent-pod', '-n', NS, '-o', 'jsonpath={.metadata.uid}'])).stdout;
  };
  const proxyToken = async (): Promise<string> => {
    const r = await c.kubectl([
      'create',
      'token',
      'billing-agent',
      '-n',
      NS,
      '--duration',
      '10m',
      '--audience',
      'agentgate-proxy',
      '--bound-object-kind',
      'Pod',
      '--bound-object-name',
      'agent-pod',
    ]);
    if (r.code !== 0) throw new Error(r.stderr);
    return r.stdout.trim();
  };
  const post = (token: string, seq: number, hash: string): Promise<{ status: number; json: any }> =>
    new Promise((resolve, reject) => {
      const req = https.request(
        new URL('/audit/checkpoints', operatorUrl),
        {
          method: 'POST',
          ca: readFileSync(caFile),
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        },
        (res) => {
          let text = '';
          res.on('data', (d) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ seq, hash: hash.repeat(64), time: new Date().toISOString() }));
    });
  const stored = async (): Promise<Record<string, string>> =>
    JSON.parse(
      (await c.kubectl(['get', 'configmap', `agentgate-audit-checkpoints-${NS}`, '-n', OPNS, '-o', 'json'])).stdout,
    ).data;

  before(async function () {
    this.timeout(1_200_000);
    c = await testCluster();
    for (const n of [NS, OPNS]) await c.kubectl(['create', 'namespace', n]);
    await c.kubectl(['create', 'serviceaccount', 'billing-agent', '-n', NS]);
    op = new Operator({
      kc: c.kc,
      leaseNamespace: OPNS,
      watchNamespace: NS,
      healthAddress: { host: '127.0.0.1', port: 0 },
      webhook: loopbackWebhook(OPNS),
    });
    await op.start();
    operatorUrl = `https://127.0.0.1:${op.operatorAddress!.port}`;
    const tls = JSON.parse(
      (await c.kubectl(['get', 'secret', 'agentgate-webhook-tls', '-n', OPNS, '-o', 'json'])).stdout,
    );
    caFile = join(mkdtempSync(join(tmpdir(), 'agentgate-atk-witness-')), 'operator-ca.crt');
    writeFileSync(caFile, Buffer.from(tls.data['ca.crt'], 'base64'));
  });
  after(async () => {
    await op?.stop();
  });

  it("a re-created pod starts a new stream (keyed by uid, no AuditChainRegressed); the deleted pod's token is refused", async () => {
    const firstUid = await createPod();
    const oldToken = await proxyToken();
    const first = await post(oldToken, 50, 'a');
    expect(first.status, JSON.stringify(first.json)).to.equal(200);
    expect(first.json.stream).to.equal(`${NS}/agent-pod/${firstUid}`);

    await c.kubectl(['delete', 'pod', 'agent-pod', '-n', NS, '--grace-period=0', '--force', '--wait=false']);
    await eventually('pod gone', async () => (await c.kubectl(['get', 'pod', 'agent-pod', '-n', NS])).code !== 0);
    // Deleted: its token still has a valid signature and expiry, but the pod it is bound to is gone.
    const gone = await post(oldToken, 51, 'b');
    expect(gone.status).to.equal(403);
    expect(gone.json.detail).to.contain(`pod ${NS}/agent-pod (uid ${firstUid}) no longer exists`);

    const secondUid = await createPod();
    const second = await post(await proxyToken(), 1, 'c');
    expect(second.status, JSON.stringify(second.json)).to.equal(200);
    expect(second.json.stream).to.equal(`${NS}/agent-pod/${secondUid}`);
    // The old pod's token, now that a pod of the same name exists again: still not its stream.
    const impostor = await post(oldToken, 60, 'd');
    expect(impostor.status).to.equal(403);
    expect(impostor.json.detail).to.contain(`earlier pod named ${NS}/agent-pod (uid ${firstUid})`);

    const data = await stored();
    expect(
      Object.keys(data)
        .filter((k) => !k.startsWith('jwk.'))
        .sort(),
    ).to.deep.equal([firstUid, secondUid].sort());
    expect(
      Object.keys(data).some((k) => k.startsWith('jwk.')),
      'the signing keys are kept beside the checkpoints',
    ).to.equal(true);
    expect(JSON.parse(data[firstUid]!)).to.include({ seq: 50, pod: 'agent-pod' });
    expect(JSON.parse(data[secondUid]!)).to.include({
      seq: 1,
      pod: 'agent-pod',
      stream: `${NS}/agent-pod/${secondUid}`,
    });
    const events = await c.kubectl([
      'get',
      'events',
      '-n',
      NS,
      '--field-selector',
      'reason=AuditChainRegressed',
      '-o',
      'name',
    ]);
    expect(events.stdout.trim()).to.equal('');
  });
});
