/**
 * The policy object is the only source of truth (shared/contract/compiled-policy.ts): what the proxy may
 * enforce, and whether a compiled ConfigMap is what the operator wrote, as pure functions.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import {
  compiledDocument,
  compiledMismatch,
  trustedPolicy,
  type PolicyObjectWithStatus,
} from '../../shared/contract/compiled-policy.js';
import { CHANGED_AT, CHANGED_BY, SPEC_SHA256 } from '../../shared/contract/labels.js';
import { specSha256 } from '../../shared/contract/spec-sha256.js';
import { injectSidecar } from '../../operator/webhook/inject.js';
import { PROXY_CONTAINER } from '../../shared/contract/sidecar.js';
import { EXAMPLE_POLICY } from '../../proxy/local/stack.js';
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';

const ISSUER = 'https://agentgate-webhook.agentgate-system.svc:8443';
const example = (): AgentAccessPolicy => parse(readFileSync(EXAMPLE_POLICY, 'utf8')) as AgentAccessPolicy;

function compiledObject(generation = 2): PolicyObjectWithStatus {
  const p = example();
  const sha = specSha256(p.spec);
  return {
    apiVersion: p.apiVersion,
    kind: p.kind,
    metadata: {
      name: 'billing-agent',
      namespace: 'agents',
      uid: 'uid-1',
      generation,
      annotations: { [CHANGED_BY]: 'alice', [CHANGED_AT]: '2026-11-30T07:00:00.000Z', [SPEC_SHA256]: sha },
    },
    spec: p.spec,
    status: {
      observedGeneration: generation,
      runTokenIssuer: ISSUER,
      conditions: [{ type: 'Ready', status: 'True', observedGeneration: generation }],
      history: [
        { generation: 1, specSha256: 'a'.repeat(64), outcome: 'Compiled' },
        { generation, specSha256: sha, changedBy: 'alice', changedAt: '2026-11-30T07:00:00.000Z', outcome: 'Compiled' },
      ],
    },
  };
}

describe('policy source: the policy object is the only source of truth', () => {
  it('a compiled generation is enforced from the object itself, with the stamp from status.history and the issuer from status', () => {
    const obj = compiledObject();
    const forged = { ...compiledDocument(obj, ISSUER), spec: { ...obj.spec!, rules: [], defaultAction: 'Allow' } };
    const t = trustedPolicy(obj, forged);
    if ('reason' in t) throw new Error(t.reason);
    expect(t.from).to.equal('policy');
    expect(t.policy.spec.rules).to.deep.equal(obj.spec!.rules);
    expect(t.policy.metadata.annotations).to.deep.equal({
      [CHANGED_BY]: 'alice',
      [CHANGED_AT]: '2026-11-30T07:00:00.000Z',
      [SPEC_SHA256]: specSha256(obj.spec),
      'agentgate.dev/run-token-issuer': ISSUER,
    });
  });

  it('a generation the operator has not compiled is not enforced; the ConfigMap is accepted only if it hashes to the last compiled one', () => {
    const obj = compiledObject();
    const last = compiledDocument(obj, ISSUER);
    const edited: PolicyObjectWithStatus = {
      ...obj,
      metadata: { ...obj.metadata, generation: 3 },
      spec: { ...obj.spec!, rules: [] },
    };
    const t = trustedPolicy(edited, last);
    if ('reason' in t) throw new Error(t.reason);
    expect(t).to.include({ from: 'configmap' });
    expect(t.policy.spec.rules).to.deep.equal(obj.spec!.rules);
    expect(t.policy.metadata.generation).to.equal(2);
    const forgedCm = {
      ...last,
      spec: { ...last.spec, rules: [] },
      metadata: {
        ...last.metadata,
        annotations: {
          ...last.metadata.annotations,
          'agentgate.dev/run-token-issuer': 'https://evil.example',
          [CHANGED_BY]: 'mallory',
        },
      },
    };
    expect(trustedPolicy(edited, forgedCm))
      .to.have.property('reason')
      .that.matches(/not compiled/);
    // Same spec, forged metadata: the metadata is rebuilt from the object, never taken from the ConfigMap.
    const t2 = trustedPolicy(edited, {
      ...last,
      metadata: {
        ...last.metadata,
        annotations: { 'agentgate.dev/run-token-issuer': 'https://evil.example', [CHANGED_BY]: 'mallory' },
      },
    });
    if ('reason' in t2) throw new Error(t2.reason);
    expect(t2.policy.metadata.annotations).to.include({
      [CHANGED_BY]: 'alice',
      'agentgate.dev/run-token-issuer': ISSUER,
    });
  });

  it("tamper detection: the operator's own document matches; edited rules, stamps or issuer do not (and the forged values are not quoted)", () => {
    const obj = compiledObject();
    const doc = JSON.parse(JSON.stringify(compiledDocument(obj, ISSUER)));
    expect(compiledMismatch(obj, doc)).to.equal(undefined);
    const rules = structuredClone(doc);
    rules.spec.rules = [];
    expect(compiledMismatch(obj, rules)).to.match(/rules differ/);
    const stamp = structuredClone(doc);
    stamp.metadata.annotations[CHANGED_BY] = 'mallory';
    expect(compiledMismatch(obj, stamp)).to.be.a('string').and.not.contain('mallory');
    const issuer = structuredClone(doc);
    issuer.metadata.annotations['agentgate.dev/run-token-issuer'] = 'https://evil.example';
    expect(compiledMismatch(obj, issuer)).to.be.a('string').and.not.contain('evil');
  });

  it("the injected proxy takes the operator's CA from its pod spec (fixed at admission), not from the compiled ConfigMap", () => {
    const pem = '-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n';
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'a', annotations: { 'agentgate.dev/inject': 'true' } },
      spec: { containers: [{ name: 'agent', image: 'a' }] },
    };
    const out = injectSidecar(pod, example(), 'agents', {
      image: 'x',
      operator: { url: 'https://op', auditWitness: true, ca: pem },
    });
    const proxy = out.spec!.initContainers!.find((c) => c.name === PROXY_CONTAINER)!;
    expect(proxy.env!.find((e) => e.name === 'AGENTGATE_OPERATOR_CA')!.value).to.equal(pem);
    expect(proxy.args).not.to.include('--checkpoint-ca');
    expect(proxy.volumeMounts!.map((m) => m.name)).not.to.include('agentgate-operator-ca');
  });
});
