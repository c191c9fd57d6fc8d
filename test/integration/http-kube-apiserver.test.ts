/**
 * HTTP targets against the test cluster's own kube-apiserver as a TLS upstream (its CA, a server name
 * its certificate carries, a bearer token injected by the proxy): an agent that operates a cluster, with
 * rules on verbs and resource paths, and Secrets' data masked (also where kubectl apply copies it).
 */
import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ns, releaseTestCluster, testCluster, type TestCluster } from '../e2e/cluster.js';
import { startHttpStack, type HttpStack } from '../support/http-stack.js';

const SECRET_VALUE = 'db-password-Zq8vX2';

describe('HTTP targets: kube-apiserver as a TLS upstream', function () {
  this.timeout(180_000);
  let cluster: TestCluster;
  let s: HttpStack;
  let token: string;
  const namespace = ns('http-kube');

  before(async () => {
    cluster = await testCluster();
    const info = cluster.local;
    if (!info) throw new Error('this test needs the local test control plane (its CA file and tokens)');
    expect((await cluster.kubectl(['create', 'namespace', namespace])).code).to.equal(0);
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db', namespace },
      stringData: { password: SECRET_VALUE },
    };
    const applied = await cluster.kubectl(['apply', '-f', '-'], { input: JSON.stringify(secret) });
    expect(applied.code, applied.stderr).to.equal(0);
    await cluster.kubectl(['create', 'configmap', 'settings', '-n', namespace, '--from-literal=mode=blue']);
    await cluster.kubectl(['create', 'serviceaccount', 'worker', '-n', namespace]);
    const dir = mkdtempSync(join(tmpdir(), 'kube-http-'));
    writeFileSync(join(dir, 'token'), `${info.tokens.admin}\n`);
    const prefix = `/api/v1/namespaces/${namespace}`;
    const target = (name: string, serverName: string, port: number): unknown => ({
      name,
      protocol: 'http',
      listen: `127.0.0.1:${port}`,
      upstream: { url: info.server, caFile: info.caFile, serverName },
      credentials: { passwordFile: join(dir, 'token'), scheme: 'bearer' },
      maskFields: [
        // A get, a list, and a watch event.
        { path: '$.data.*' },
        { path: '$.items[*].data.*' },
        { path: '$.object.data.*' },
        { path: '$.stringData.*' },
        { path: "$.object.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']" },
        { path: "$.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']" },
        { path: "$.items[*].metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']" },
      ],
    });
    s = await startHttpStack({
      targets: [target('kube', 'kubernetes', 1), target('kube-wrong-name', 'not-the-apiserver.example', 2)],
      rules: [
        {
          name: 'no-secret-writes',
          when: {
            http: {
              methods: ['POST', 'PUT', 'PATCH', 'DELETE'],
              paths: ['/api/v1/namespaces/{ns}/secrets', '/api/v1/namespaces/{ns}/secrets/**'],
            },
          },
          action: 'Deny',
        },
        {
          name: 'no-other-namespaces',
          when: { http: { paths: ['/api/v1/namespaces/{ns}/**'], cel: `request.segments[3] != "${namespace}"` } },
          action: 'Deny',
        },
        {
          name: 'agent-configmaps',
          when: {
            http: {
              methods: ['POST'],
              paths: [`${prefix}/configmaps`],
              cel: 'request.body.metadata.name.startsWith("agent-")',
            },
          },
          action: 'Allow',
        },
        {
          name: 'reads',
          when: {
            http: {
              methods: ['GET'],
              paths: ['/version', '/api', `${prefix}/{resource}`, `${prefix}/{resource}/{name}`],
            },
          },
          action: 'Allow',
        },
      ],
    });
    token = await s.token('agent-ops');
  });

  after(async () => {
    await s?.stop();
    await cluster?.kubectl(['delete', 'namespace', namespace, '--wait=false']);
    await releaseTestCluster();
  });

  const call = (path: string, init: RequestInit = {}, target = 'kube'): Promise<Response> =>
    fetch(`${s.url(target)}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        ...(init.headers as Record<string, string>),
      },
    });

  it('reaches the API server over TLS (its CA, SNI kubernetes) with the injected token', async () => {
    const r = await call('/version');
    expect(r.status).to.equal(200);
    expect(((await r.json()) as { gitVersion: string }).gitVersion).to.be.a('string');
  });

  it('a server name the certificate does not carry fails TLS verification: 502, nothing sent', async () => {
    const r = await call('/version', {}, 'kube-wrong-name');
    expect(r.status).to.equal(502);
    expect(((await r.json()) as { detail: string }).detail).to.match(/could not be reached/);
  });

  it("Secrets' data is masked in a get and in a list, also the copy kubectl apply keeps in an annotation", async () => {
    const one = (await (await call(`/api/v1/namespaces/${namespace}/secrets/db`)).json()) as {
      data: Record<string, string>;
      metadata: { annotations?: Record<string, string> };
    };
    expect(one.data.password).to.equal('[redacted:password]');
    const annotation = one.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration'];
    expect(annotation).to.match(/^\[redacted:/);
    const list = await call(`/api/v1/namespaces/${namespace}/secrets`);
    const text = await list.text();
    expect(text).not.to.contain(Buffer.from(SECRET_VALUE).toString('base64'));
    expect(text).not.to.contain(SECRET_VALUE);
    expect(
      JSON.parse(text).items.find((i: { metadata: { name: string } }) => i.metadata.name === 'db').data.password,
    ).to.equal('[redacted:password]');
  });

  it('verbs on resource paths: Secret writes denied, ConfigMaps only under the agent- prefix, other namespaces denied', async () => {
    const put = await call(`/api/v1/namespaces/${namespace}/secrets/db`, { method: 'DELETE' });
    expect(put.status).to.equal(403);
    expect(((await put.json()) as { rule: string }).rule).to.equal('no-secret-writes');
    expect((await cluster.kubectl(['get', 'secret', 'db', '-n', namespace])).code).to.equal(0);
    const ok = await call(`/api/v1/namespaces/${namespace}/configmaps`, {
      method: 'POST',
      body: JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'agent-notes' },
        data: { a: 'b' },
      }),
    });
    expect(ok.status).to.equal(201);
    const no = await call(`/api/v1/namespaces/${namespace}/configmaps`, {
      method: 'POST',
      body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings-2' } }),
    });
    expect(no.status).to.equal(403);
    const other = await call('/api/v1/namespaces/kube-system/secrets');
    expect(((await other.json()) as { rule: string }).rule).to.equal('no-other-namespaces');
    const cm = await call(`/api/v1/namespaces/${namespace}/configmaps/settings`);
    expect(((await cm.json()) as { data: Record<string, string> }).data.mode).to.equal('[redacted:mode]');
  });

  it('a watch (chunked JSON events) streams, each event masked as it arrives', async () => {
    const ctl = new AbortController();
    const r = await call(`/api/v1/namespaces/${namespace}/secrets?watch=true&timeoutSeconds=5`, { signal: ctl.signal });
    expect(r.status).to.equal(200);
    const reader = r.body!.getReader();
    const first = Buffer.from((await reader.read()).value!).toString();
    const event = JSON.parse(first.split('\n')[0]!) as { type: string; object: { data?: Record<string, string> } };
    expect(event.type).to.equal('ADDED');
    expect(first).not.to.contain(Buffer.from(SECRET_VALUE).toString('base64'));
    expect(first).not.to.contain(SECRET_VALUE);
    ctl.abort();
  });
});
