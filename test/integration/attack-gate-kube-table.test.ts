/**
 * Kubernetes Table output (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`, what kubectl get
 * asks for) against the test cluster's real kube-apiserver. A Table's cells sit under display names
 * (`columnDefinitions`) that no field rule can be mapped to, and `includeObject=Object` moves whole
 * objects to `rows[*].object`: while field rules are on, a Table is refused (502, nothing forwarded), as
 * a list, a single object or a watch; an Accept that also takes plain JSON (kubectl's) gets that.
 */
import { expect } from 'chai';
import { ns, testCluster, type TestCluster } from '../e2e/cluster.js';
import { startHttpStack, type HttpStack } from '../support/http-stack.js';
import { kubeSecretNamespace, readsIn, tearDownKube } from '../support/kube-secret-namespace.js';

const SECRET_VALUE = 'gate-table-password-Zk8wQ3';
const B64 = Buffer.from(SECRET_VALUE).toString('base64');
const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io';

describe('gate: kube-apiserver Table output under field rules', function () {
  this.timeout(180_000);
  let cluster: TestCluster;
  let s: HttpStack;
  let token: string;
  const namespace = ns('gate-table');

  before(async () => {
    cluster = await testCluster();
    const target = await kubeSecretNamespace(cluster, namespace, SECRET_VALUE, 'gate-table-');
    s = await startHttpStack({
      targets: [
        target('anchored', 1, [{ path: '$.data.*' }, { path: '$.items[*].data.*' }, { path: '$.object.data.*' }]),
        target('keyed', 2, [{ path: 'data' }]),
        target('detectors-only', 3),
      ],
      masking: { detectors: ['email'], defaultStrategy: 'redact' },
      rules: [readsIn(namespace)],
    });
    token = await s.token('agent-table');
  });

  after(() => tearDownKube(s, cluster, namespace));

  const get = async (target: string, path: string, accept: string) => {
    const r = await fetch(`${s.url(target)}${path}`, { headers: { authorization: `Bearer ${token}`, accept } });
    return { status: r.status, type: r.headers.get('content-type') ?? '', text: await r.text().catch(() => '') };
  };

  const secrets = `/api/v1/namespaces/${namespace}/secrets`;

  for (const target of ['anchored', 'keyed']) {
    it(`${target} field rules: a Table (list, list with objects, one object) is refused with 502, the data never forwarded`, async () => {
      for (const path of [
        secrets,
        `${secrets}?includeObject=Object`,
        `${secrets}/db`,
        `${secrets}/db?includeObject=Object`,
      ]) {
        const r = await get(target, path, TABLE);
        expect(r.text, path).not.to.contain(B64);
        expect(r.status, path).to.equal(502);
        expect(r.type, path).to.contain('application/problem+json');
        expect(JSON.parse(r.text).detail, path).to.contain('Table');
      }
    });

    it(`${target} field rules: kubectl's own Accept (Table first, JSON as fallback) gets the plain JSON fallback, masked`, async () => {
      const kubectl = `${TABLE},application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json`;
      for (const path of [`${secrets}?includeObject=Object`, `${secrets}/db`]) {
        const r = await get(target, path, kubectl);
        expect(r.status, path).to.equal(200);
        expect(r.text, path).not.to.contain(B64);
        expect(JSON.parse(r.text).kind, path).to.be.oneOf(['SecretList', 'Secret']);
      }
    });

    it(`${target} field rules: a watch of Tables never streams an object's data`, async () => {
      const r = await get(target, `${secrets}?watch=1&timeoutSeconds=2&includeObject=Object`, TABLE);
      expect(r.text).not.to.contain(B64);
      expect(r.text).not.to.contain(SECRET_VALUE);
      expect(r.status).to.be.oneOf([200, 502]);
      if (r.status === 200) expect(r.text).to.equal(''); // cut before the first event: nothing forwarded
    });
  }

  it('the refusal is on record: the decision, then a completion with status 502 naming the Table', async () => {
    const recs = s.records();
    const failed = recs.filter(
      (r) => r.event.action === 'statement.completion' && r.target === 'keyed' && r.http?.status === 502,
    );
    expect(failed.length).to.be.greaterThan(0);
    expect(failed.some((r) => /Table/.test(r.error?.message ?? ''))).to.equal(true);
  });

  it('without field rules a Table passes (detectors still scan every cell)', async () => {
    const r = await get('detectors-only', secrets, TABLE);
    expect(r.status).to.equal(200);
    expect(JSON.parse(r.text).kind).to.equal('Table');
  });
});
