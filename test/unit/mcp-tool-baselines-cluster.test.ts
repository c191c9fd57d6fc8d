/**
 * First-seen MCP tool fingerprints in a cluster: the operator keeps the first report per target and
 * tool on the policy's status (a second pod's, or a restarted sidecar's, changes nothing; a write
 * conflict is read again); what the proxy enforces (trustedPolicy) carries them; a sidecar takes them
 * over its own and reports a tool none is kept for, again until the compiled policy carries one.
 */
import { expect } from 'chai';
import { ApiException, type CustomObjectsApi } from '@kubernetes/client-node';
import { recordToolBaseline } from '../../operator/tool-baseline-status.js';
import { toolBaselinesOf, trustedPolicy, type PolicyObjectWithStatus } from '../../shared/contract/compiled-policy.js';
import { specSha256 } from '../../shared/contract/spec-sha256.js';
import type { ToolBaseline } from '../../shared/contract/tool-definitions.js';
import { MemoryBaselines, ReportedBaselines } from '../../proxy/mcp/tool-baselines.js';
import { ToolFingerprints } from '../../proxy/mcp/tool-fingerprints.js';
import type { McpTargetSpec } from '../../shared/contract/policy-types.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const spec = {
  targets: [{ name: 'files', protocol: 'mcp', listen: '127.0.0.1:1', upstream: { command: 'x' } }],
  defaultAction: 'Allow',
} as never;

/** A policy object in memory behind the two calls recordToolBaseline makes; `conflicts` 409s first. */
function fakeApi(conflicts = 0): { api: CustomObjectsApi; status: () => ToolBaseline[] } {
  const obj = { metadata: { resourceVersion: '1' }, spec, status: {} as { toolDefinitionBaselines?: ToolBaseline[] } };
  const api = {
    getNamespacedCustomObject: async () => structuredClone(obj),
    patchNamespacedCustomObjectStatus: async (r: {
      body: { metadata: { resourceVersion: string }; status: { toolDefinitionBaselines: ToolBaseline[] } };
    }) => {
      if (conflicts-- > 0 || r.body.metadata.resourceVersion !== obj.metadata.resourceVersion)
        throw new ApiException(409, 'conflict', '{}', {});
      obj.status.toolDefinitionBaselines = r.body.status.toolDefinitionBaselines;
      obj.metadata.resourceVersion = String(Number(obj.metadata.resourceVersion) + 1);
      return obj;
    },
  } as unknown as CustomObjectsApi;
  return { api, status: () => obj.status.toolDefinitionBaselines ?? [] };
}

describe('MCP tool baselines on the policy status (operator)', () => {
  const at = (pod: string) => ({ namespace: 'agents', policy: 'p', pod });

  it('the first report per target and tool wins; later ones change nothing', async () => {
    const f = fakeApi();
    expect(
      await recordToolBaseline({ custom: f.api }, at('pod-1'), { target: 'files', tool: 't', sha256: A }),
    ).to.equal('kept');
    expect(
      await recordToolBaseline({ custom: f.api }, at('pod-2'), { target: 'files', tool: 't', sha256: B }),
    ).to.equal('known');
    expect(f.status().map((b) => [b.tool, b.sha256, b.pod])).to.deep.equal([['t', A, 'pod-1']]);
  });

  it('a write conflict is read again and retried', async () => {
    const f = fakeApi(2);
    expect(
      await recordToolBaseline({ custom: f.api }, at('pod-1'), { target: 'files', tool: 't', sha256: A }),
    ).to.equal('kept');
    expect(f.status()).to.have.length(1);
  });

  it('a report for a target that is not an MCP target of the policy is refused', async () => {
    const f = fakeApi();
    const err = await recordToolBaseline({ custom: f.api }, at('pod-1'), { target: 'db', tool: 't', sha256: A }).catch(
      (e: Error) => e,
    );
    expect((err as Error).message).to.include('no MCP target db');
  });
});

describe('MCP tool baselines delivered with the policy the proxy enforces', () => {
  it('trustedPolicy carries the status baselines; the sidecar takes them over its own', () => {
    const obj: PolicyObjectWithStatus = {
      apiVersion: 'agentgate.dev/v1alpha1',
      kind: 'AgentAccessPolicy',
      metadata: { name: 'p', namespace: 'agents', uid: 'u', generation: 1 },
      spec,
      status: {
        observedGeneration: 1,
        conditions: [{ type: 'Ready', status: 'True', observedGeneration: 1 }],
        history: [{ generation: 1, specSha256: specSha256(spec), outcome: 'Compiled' }],
        toolDefinitionBaselines: [{ target: 'files', tool: 't', sha256: A }],
      },
    };
    const t = trustedPolicy(obj);
    if ('reason' in t) throw new Error(t.reason);
    expect(toolBaselinesOf(t.policy).get('files\nt')).to.equal(A);

    const reports: string[] = [];
    let now = 0;
    const store = new ReportedBaselines({
      compiled: () => toolBaselinesOf(t.policy),
      local: new MemoryBaselines(),
      report: (target, tool, sha256) => reports.push(`${target}/${tool}/${sha256.slice(0, 1)}`),
      now: () => now,
    });
    const fp = new ToolFingerprints(store);
    const target = { name: 'files' } as McpTargetSpec;
    // Another definition than the one the operator keeps: blocked here, though this sidecar never saw one.
    expect(fp.check(target, 't', B).ok).to.equal(false);
    expect(fp.check(target, 't', A).ok).to.equal(true);
    // A tool none is kept for: held locally, reported, reported again only after a minute.
    expect(fp.check(target, 'u', B).ok).to.equal(true);
    expect(fp.check(target, 'u', B).ok).to.equal(true);
    now = 61_000;
    expect(fp.check(target, 'u', B).ok).to.equal(true);
    expect(reports).to.deep.equal(['files/u/b', 'files/u/b']);
  });
});
