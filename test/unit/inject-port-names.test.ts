/**
 * The sidecar's port names are valid for the API server whatever the policy's target names: distinct,
 * IANA service names (validated here with the API server's own rule), the health port's name kept.
 */
import { expect } from 'chai';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import type { V1Pod } from '@kubernetes/client-node';
import { injectSidecar } from '../../operator/webhook/inject.js';
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';

// k8s.io/apimachinery validation.IsValidPortName.
const validPortName = (n: string): boolean =>
  n.length >= 1 &&
  n.length <= 15 &&
  /^[-a-z0-9]+$/.test(n) &&
  /[a-z]/.test(n) &&
  !n.includes('--') &&
  !n.startsWith('-') &&
  !n.endsWith('-');

const policy = parse(
  readFileSync(new URL('../fixtures/inject/policy.yaml', import.meta.url), 'utf8'),
) as AgentAccessPolicy;
const pod: V1Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'agents' },
  spec: { serviceAccountName: 'billing-agent', containers: [{ name: 'agent', image: 'x' }] },
};

function portsFor(names: string[]): { name?: string; containerPort: number }[] {
  const p = structuredClone(policy);
  p.spec.targets = names.map(
    (name, i) =>
      ({ name, protocol: 'http', listen: `127.0.0.1:${18000 + i}`, upstream: { url: 'http://api.internal' } }) as never,
  );
  return injectSidecar(pod, p, 'agents', { image: 'x' }).spec!.initContainers![0]!.ports!;
}

describe('injected sidecar port names', () => {
  it('targets sharing a 12-character prefix, a cut ending in a hyphen, "health" and "a--b": distinct valid names', () => {
    const targets = ['customers-api-v1', 'customers-api-v2', 'billing-api-v2', 'health', 'a--b', 'orders-db'];
    const ports = portsFor(targets);
    const names = ports.map((p) => p.name!);
    expect(
      names.filter((n) => !validPortName(n)),
      'invalid names',
    ).to.deep.equal([]);
    expect(new Set(names).size, names.join(',')).to.equal(names.length);
    expect(names.at(-1)).to.equal('ag-health');
    expect(ports.map((p) => p.containerPort)).to.deep.equal([18000, 18001, 18002, 18003, 18004, 18005, 15021]);
    // A name that fits stays readable as before.
    expect(names[5]).to.equal('ag-orders-db');
  });

  it('is deterministic (the injection is golden-file tested)', () => {
    const targets = ['customers-api-v1', 'customers-api-v2'];
    expect(portsFor(targets).map((p) => p.name)).to.deep.equal(portsFor(targets).map((p) => p.name));
  });
});
