/**
 * A target may not be named so that its injected variables replace agentgate's own in the agent
 * container: an HTTP target named "operator" would give AGENTGATE_OPERATOR_URL, and the agent's token
 * exchange (its person's ID token) would go to that target's upstream API.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { V1Pod } from '@kubernetes/client-node';
import { injectSidecar } from '../../operator/webhook/inject.js';
import { targetEnvNames } from '../../shared/contract/agent-env.js';
import { validatePolicy } from '../../shared/contract/validate-policy.js';
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';

const base = parse(
  readFileSync(new URL('../fixtures/inject/policy.yaml', import.meta.url), 'utf8'),
) as AgentAccessPolicy;
const withTarget = (t: object): AgentAccessPolicy => {
  const p = structuredClone(base);
  p.spec.targets = [...p.spec.targets, t as never];
  return p;
};
const http = (name: string): object => ({
  name,
  protocol: 'http',
  listen: '127.0.0.1:18080',
  upstream: { url: 'http://api.internal' },
});

describe("target names and the agent's environment", () => {
  it('an HTTP target named "operator" is refused: it would set AGENTGATE_OPERATOR_URL', () => {
    expect(() => validatePolicy(withTarget(http('operator')), 'policy')).to.throw(
      /target name "operator" would set the agent's AGENTGATE_OPERATOR_URL/,
    );
  });

  it("the same name is fine where it sets nothing of agentgate's (a Postgres target has no _URL)", () => {
    expect(() =>
      validatePolicy(withTarget({ ...base.spec.targets[0], name: 'operator', listen: '127.0.0.1:15499' }), 'policy'),
    ).to.not.throw();
    expect(() => validatePolicy(withTarget(http('crm')), 'policy')).to.not.throw();
  });

  it('the names validated are the names the injector sets', () => {
    const p = withTarget({ ...http('crm'), forwardProxy: { listen: '127.0.0.1:18081' } });
    const pod: V1Pod = { metadata: { name: 'p' }, spec: { containers: [{ name: 'agent', image: 'x' }] } };
    const env = injectSidecar(pod, p, 'agents', { image: 'x' }).spec!.containers[0]!.env!.map((e) => e.name);
    for (const t of p.spec.targets) for (const v of targetEnvNames(t)) expect(env).to.include(v);
    expect(env.filter((n) => /^AGENTGATE_CRM_/.test(n)).sort()).to.deep.equal(
      targetEnvNames(p.spec.targets.at(-1)!).sort(),
    );
  });
});
