/**
 * Review of HTTP targets (issue #12) against the test cluster's kube-apiserver (TLS upstream): the
 * agent chooses the response format (Accept) and so how Secrets' data comes back. Whatever it asks for,
 * the data the field rules mask never reaches it in clear.
 */
import { expect } from 'chai';
import { ns, testCluster, type TestCluster } from '../e2e/cluster.js';
import { startHttpStack, type HttpStack } from '../support/http-stack.js';
import { kubeSecretNamespace, readsIn, tearDownKube } from '../support/kube-secret-namespace.js';

const SECRET_VALUE = 'rev12-db-password-Qm4tP7';
const B64 = Buffer.from(SECRET_VALUE).toString('base64');

describe('rev12: kube-apiserver, response formats the agent asks for', function () {
  this.timeout(180_000);
  let cluster: TestCluster;
  let s: HttpStack;
  let token: string;
  const namespace = ns('rev12-kube');

  before(async () => {
    cluster = await testCluster();
    const target = await kubeSecretNamespace(cluster, namespace, SECRET_VALUE, 'rev12-kube-');
    s = await startHttpStack({
      targets: [
        target('kube', 1, [{ path: '$.data.*' }, { path: '$.items[*].data.*' }, { path: '$.object.data.*' }]),
        target('kube-keyed', 2, [{ path: 'data' }]),
      ],
      rules: [readsIn(namespace)],
    });
    token = await s.token('agent-ops');
  });

  after(() => tearDownKube(s, cluster, namespace));

  const get = async (path: string, accept: string): Promise<{ status: number; text: string }> => {
    const r = await fetch(`${s.url('kube')}${path}`, { headers: { authorization: `Bearer ${token}`, accept } });
    return { status: r.status, text: await r.text() };
  };

  it('JSON: the Secret data is masked (the baseline)', async () => {
    const r = await get(`/api/v1/namespaces/${namespace}/secrets/db`, 'application/json');
    expect(r.status).to.equal(200);
    expect(JSON.parse(r.text).data.password).to.equal('[redacted:password]');
  });

  it('Accept: application/yaml (kube-apiserver answers YAML) is refused while field rules are on', async () => {
    for (const path of [`/api/v1/namespaces/${namespace}/secrets/db`, `/api/v1/namespaces/${namespace}/secrets`]) {
      const r = await get(path, 'application/yaml');
      expect(r.text, path).not.to.contain(B64);
      expect(r.status, path).to.equal(502);
    }
  });

  it('Accept: protobuf is refused (binary)', async () => {
    const pb = await get(`/api/v1/namespaces/${namespace}/secrets/db`, 'application/vnd.kubernetes.protobuf');
    expect(pb.text).not.to.contain(B64);
    expect(pb.status).to.equal(502);
  });

  it('Table output (includeObject=Object) moves whole Secrets to rows[*].object and cells under display names: refused under path and key-name rules alike; plain JSON masked by a key name rule (data) in every shape', async () => {
    const path = `/api/v1/namespaces/${namespace}/secrets?includeObject=Object`;
    const accept = 'application/json;as=Table;v=v1;g=meta.k8s.io';
    for (const target of ['kube', 'kube-keyed']) {
      const r = await fetch(`${s.url(target)}${path}`, { headers: { authorization: `Bearer ${token}`, accept } });
      const text = await r.text();
      expect(r.status, target).to.equal(502);
      expect(text, target).not.to.contain(B64);
    }
    for (const p of [`/api/v1/namespaces/${namespace}/secrets/db`, `/api/v1/namespaces/${namespace}/secrets`]) {
      const r = await fetch(`${s.url('kube-keyed')}${p}`, {
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      });
      const text = await r.text();
      expect(r.status, p).to.equal(200);
      expect(text, p).not.to.contain(B64);
      expect(text, p).to.contain('[redacted:data]');
    }
  });
});
