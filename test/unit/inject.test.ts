/**
 * Sidecar injection is a pure function: golden files pin its output. Regenerate them after an
 * intended change with UPDATE_GOLDEN=1 npm test, and review the diff.
 */
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { V1Pod } from '@kubernetes/client-node';
import fastJsonPatch from 'fast-json-patch';
import { injectSidecar, policySelects, wantsInjection } from '../../operator/webhook/inject.js';
import { PROXY_CONTAINER } from '../../shared/contract/sidecar.js';
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';

const dir = new URL('../fixtures/inject/', import.meta.url).pathname;
const policy = parse(readFileSync(join(dir, 'policy.yaml'), 'utf8')) as AgentAccessPolicy;
const cfg = {
  image: 'ghcr.io/agentgate/agentgate:0.1.0',
  operator: {
    url: 'https://agentgate-webhook.agentgate-system.svc',
    auditWitness: true,
    ca: '-----BEGIN CERTIFICATE-----\nTEST\n-----END CERTIFICATE-----\n',
  },
};

describe('sidecar injection (pure function, golden files)', () => {
  for (const input of readdirSync(dir).filter((f) => f.endsWith('.input.yaml'))) {
    it(`${input} matches its golden file`, () => {
      const pod = parse(readFileSync(join(dir, input), 'utf8')) as V1Pod;
      const out = stringify(injectSidecar(pod, policy, 'agents', cfg));
      const golden = join(dir, input.replace('.input.yaml', '.golden.yaml'));
      if (process.env.UPDATE_GOLDEN || !existsSync(golden)) writeFileSync(golden, out);
      expect(out).to.equal(readFileSync(golden, 'utf8'));
    });
  }

  const pod = (): V1Pod => parse(readFileSync(join(dir, 'annotated-pod.input.yaml'), 'utf8')) as V1Pod;

  it('a status annotation does not decide injection (only the opt-in does; pod-guard.ts refuses a pod that already has the sidecar)', () => {
    const once = injectSidecar(pod(), policy, 'agents', cfg);
    expect(wantsInjection(once)).to.deep.equal({ inject: true });
  });

  it("credentials are mounted only into the proxy container; the agent gets the token, local ports and the operator's CA", () => {
    const out = injectSidecar(pod(), policy, 'agents', cfg);
    const proxy = out.spec!.initContainers!.find((c) => c.name === PROXY_CONTAINER)!;
    const agent = out.spec!.containers[0]!;
    expect(proxy.volumeMounts!.map((m) => m.name)).to.include.members([
      'agentgate-cred-billing-db',
      'agentgate-cred-reports-db',
    ]);
    expect((agent.volumeMounts ?? []).map((m) => m.name)).to.deep.equal(['agentgate-token', 'agentgate-operator-ca']);
    // The proxy's own token (for the audit witness) is the proxy's alone.
    expect(proxy.volumeMounts!.map((m) => m.name))
      .to.include('agentgate-proxy-token')
      .and.not.include('agentgate-token');
    expect(
      out.spec!.volumes!.find((v) => v.name === 'agentgate-proxy-token')!.projected!.sources![0]!.serviceAccountToken,
    ).to.include({ audience: 'agentgate-proxy' });
    expect(out.spec!.volumes!.find((v) => v.name === 'agentgate-operator-ca')!.configMap).to.deep.equal({
      name: 'agentgate-policy-billing-agent',
      items: [{ key: 'operator-ca.crt', path: 'ca.crt' }],
      optional: true,
    });
    expect(JSON.stringify(agent)).to.not.contain('credentials');
    const env = Object.fromEntries((agent.env ?? []).map((e) => [e.name, e.value]));
    expect(env).to.include({
      PGHOST: '127.0.0.1',
      PGPORT: '15432',
      AGENTGATE_TOKEN_FILE: '/var/run/agentgate/token/token',
      AGENTGATE_REPORTS_DB_PORT: '15433',
    });
    // The operator's CA as admission saw it, for `agentgate token exchange` (the ConfigMap copy is editable).
    expect(env.AGENTGATE_OPERATOR_CA).to.contain('BEGIN CERTIFICATE');
    const token = out.spec!.volumes!.find((v) => v.name === 'agentgate-token')!.projected!.sources![0]!
      .serviceAccountToken!;
    expect(token).to.include({ audience: 'agentgate', expirationSeconds: 900 });
    // Without an operator to reach (no witness, no exchange), nothing of it is injected.
    const plain = injectSidecar(pod(), policy, 'agents', { image: cfg.image });
    expect(JSON.stringify(plain)).to.not.contain('operator').and.not.contain('--checkpoint');
  });

  it('with the audit witness off, the proxy still gets its own token and the operator URL (approvals go through the operator)', () => {
    const out = injectSidecar(pod(), policy, 'agents', { ...cfg, operator: { ...cfg.operator, auditWitness: false } });
    const proxy = out.spec!.initContainers!.find((c) => c.name === PROXY_CONTAINER)!;
    expect(proxy.args).to.include('--operator-url').and.not.include('--checkpoint-url');
    expect(proxy.volumeMounts!.map((m) => m.name)).to.include('agentgate-proxy-token');
    expect((proxy.env ?? []).map((e) => e.name)).to.include('AGENTGATE_PROXY_TOKEN_FILE');
    expect(JSON.stringify(out.spec!.containers)).to.not.contain('agentgate-proxy-token');
  });

  it('opt-out and absent annotations are respected', () => {
    const p = pod();
    p.metadata!.annotations = { 'agentgate.dev/inject': 'false' };
    expect(wantsInjection(p).inject).to.equal(false);
    p.metadata!.annotations = {};
    expect(wantsInjection(p).inject).to.equal(false);
  });

  it('subjects select pods by service account or labels', () => {
    expect(policySelects(policy, pod(), 'agents')).to.equal(true);
    const other = pod();
    other.spec!.serviceAccountName = 'someone-else';
    expect(policySelects(policy, other, 'agents')).to.equal(false);
    expect(policySelects(policy, pod(), 'other-namespace')).to.equal(false);
  });

  it('diffs to a JSON Patch that reproduces the mutated pod', () => {
    const before = pod();
    const after = injectSidecar(before, policy, 'agents', cfg);
    const patch = fastJsonPatch.compare(before as object, after as object);
    const applied = fastJsonPatch.applyPatch(structuredClone(before), patch).newDocument;
    expect(applied).to.deep.equal(after);
  });
});
