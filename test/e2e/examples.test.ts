/** The example policies are valid for the real API server (the CRD's schema and CEL rules) and for the proxy. */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { validatePolicy } from '../../shared/contract/validate-policy.js';
import { ns, testCluster, type TestCluster } from './cluster.js';

const NS = ns('e2e-examples');

describe('example policies against the real API server', function () {
  this.timeout(120_000);
  let c: TestCluster;

  before(async function () {
    this.timeout(1_200_000);
    c = await testCluster();
    await c.kubectl(['create', 'namespace', NS]);
  });

  for (const file of ['examples/cluster/policy.yaml', 'examples/local/policy.yaml']) {
    it(`${file} is accepted by kubectl apply --dry-run=server and by the proxy's validator`, async () => {
      const doc = parse(readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8'));
      expect(() => validatePolicy(structuredClone(doc))).to.not.throw();
      doc.metadata.namespace = NS;
      const r = await c.kubectl(['apply', '--dry-run=server', '-f', '-'], { input: stringify(doc) });
      expect(r.code, r.stderr).to.equal(0);
    });
  }
});
