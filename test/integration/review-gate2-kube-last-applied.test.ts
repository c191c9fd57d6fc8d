/**
 * Hostile review round 2 (issue #12), neighbour of the Table refusal: a Secret read through an HTTP
 * target on the test cluster's real kube-apiserver, field rules on its data (`$.data.*`, or the key
 * name `data`). A Secret written with `kubectl apply` carries its whole manifest, data or stringData in
 * clear, as a JSON *string* in the annotation kubectl.kubernetes.io/last-applied-configuration. Field
 * rules walk JSON keys only, so the value they mask under `data` is forwarded again inside that string.
 */
import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ns, releaseTestCluster, testCluster, type TestCluster } from '../e2e/cluster.js';
import { startHttpStack, type HttpStack } from '../support/http-stack.js';

const DATA_VALUE = 'gate2-applied-password-Qm7x';
const B64 = Buffer.from(DATA_VALUE).toString('base64');
const STRING_VALUE = 'gate2-stringdata-token-Vp4k';

describe('review-gate2: a kubectl-applied Secret read under field rules on its data', function () {
  this.timeout(180_000);
  let cluster: TestCluster;
  let s: HttpStack;
  let token: string;
  const namespace = ns('gate2-applied');

  before(async () => {
    cluster = await testCluster();
    const info = cluster.local;
    if (!info) throw new Error('this test needs the local test control plane (its CA file and tokens)');
    expect((await cluster.kubectl(['create', 'namespace', namespace])).code).to.equal(0);
    const manifest = JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace }, data: { password: B64 } },
        { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'api', namespace }, stringData: { token: STRING_VALUE } },
      ],
    });
    const applied = await cluster.kubectl(['apply', '-f', '-'], { input: manifest });
    expect(applied.code, applied.stderr).to.equal(0);
    const dir = mkdtempSync(join(tmpdir(), 'gate2-applied-'));
    writeFileSync(join(dir, 'token'), `${info.tokens.admin}\n`);
    const target = (name: string, port: number, maskFields: unknown[]) => ({
      name,
      protocol: 'http',
      listen: `127.0.0.1:${port}`,
      upstream: { url: info.server, caFile: info.caFile, serverName: 'kubernetes' },
      credentials: { passwordFile: join(dir, 'token'), scheme: 'bearer' },
      maskFields,
    });
    s = await startHttpStack({
      targets: [
        target('anchored', 1, [{ path: '$.data.*' }, { path: '$.items[*].data.*' }]),
        target('keyed', 2, [{ path: 'data' }]),
      ],
      masking: { detectors: ['email'], defaultStrategy: 'redact' },
      rules: [
        {
          name: 'reads',
          when: { http: { methods: ['GET'], paths: [`/api/v1/namespaces/${namespace}/**`] } },
          action: 'Allow',
        },
      ],
    });
    token = await s.token('agent-applied');
  });

  after(async () => {
    await s?.stop();
    await cluster?.kubectl(['delete', 'namespace', namespace, '--wait=false']);
    await releaseTestCluster();
  });

  for (const target of ['anchored', 'keyed']) {
    it(`${target}: the Secret's value is not readable through its last-applied-configuration annotation`, async () => {
      const secrets = `/api/v1/namespaces/${namespace}/secrets`;
      for (const path of [`${secrets}/db`, `${secrets}/api`, secrets]) {
        const r = await fetch(`${s.url(target)}${path}`, {
          headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
        });
        const text = await r.text();
        expect(r.status, path).to.equal(200);
        expect(JSON.stringify(JSON.parse(text)), `${path}: the data field itself is masked`).to.not.match(
          new RegExp(`"data":\\{"password":"${B64}"`),
        );
        expect(text, `${path}: the base64 value`).not.to.contain(B64);
        expect(text, `${path}: the stringData value`).not.to.contain(STRING_VALUE);
      }
    });
  }
});
