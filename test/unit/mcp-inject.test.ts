/** Injection for MCP targets: the agent gets the endpoint URL; a stdio server's Secrets reach the proxy container only. */
import { expect } from 'chai';
import type { V1Pod } from '@kubernetes/client-node';
import { injectSidecar } from '../../operator/webhook/inject.js';
import { PROXY_CONTAINER } from '../../shared/contract/sidecar.js';
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';

describe('sidecar injection: MCP targets', () => {
  it('mounts upstream.env Secrets into the proxy only, at <credentials>/<target>/<secret>/<key>, and tells the agent the /mcp URL', () => {
    const policy = {
      apiVersion: 'agentgate.dev/v1alpha1',
      kind: 'AgentAccessPolicy',
      metadata: { name: 'p', namespace: 'agents' },
      spec: {
        identity: { issuers: [{ issuer: 'https://i', audiences: ['agentgate'], kubernetes: true }] },
        defaultAction: 'Deny',
        targets: [
          {
            name: 'gh',
            protocol: 'mcp',
            listen: '127.0.0.1:18090',
            access: 'ReadWrite',
            upstream: {
              command: 'github-mcp-server',
              args: ['stdio'],
              env: [
                { name: 'GITHUB_TOKEN', secretRef: { name: 'gh', key: 'token' } },
                { name: 'GITHUB_HOST', secretRef: { name: 'gh', key: 'host' } },
                { name: 'MODE', value: 'ro' },
              ],
            },
          },
        ],
      },
    } as unknown as AgentAccessPolicy;
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'a', namespace: 'agents', annotations: { 'agentgate.dev/inject': 'true' } },
      spec: { containers: [{ name: 'agent', image: 'agent' }] },
    } as V1Pod;
    const out = injectSidecar(pod, policy, 'agents', { image: 'img' });
    const proxy = out.spec!.initContainers!.find((c) => c.name === PROXY_CONTAINER)!;
    const agent = out.spec!.containers[0]!;
    const vol = out.spec!.volumes!.find((v) => v.secret?.secretName === 'gh')!;
    expect(vol.secret!.items).to.deep.equal([
      { key: 'token', path: 'token' },
      { key: 'host', path: 'host' },
    ]);
    expect(proxy.volumeMounts!.find((m) => m.name === vol.name)!.mountPath).to.equal(
      '/var/run/agentgate/credentials/gh/gh',
    );
    expect((agent.volumeMounts ?? []).map((m) => m.name)).to.not.include(vol.name);
    expect(agent.env!.find((e) => e.name === 'AGENTGATE_GH_URL')!.value).to.equal('http://127.0.0.1:18090/mcp');
  });
});
