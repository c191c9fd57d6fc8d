/**
 * Hostile review of MCP gating (#13): first-seen tool fingerprints in a cluster.
 * - The 512 baselines a policy's status keeps are one budget for all its MCP targets: a server on one
 *   target that lists 512 tools (or a stream of new names) leaves every other target's tools unpinned
 *   across sidecars (`full`), so a restarted or second sidecar takes whatever definition it sees first.
 * - The 32 open rug-pull changes a status keeps are the last 32: a server that changes 32 junk tools
 *   after a real rug pull on another target pushes that one off the policy's status (the admin reading
 *   it to accept fingerprints never sees the blocked tool; the condition names only the junk).
 * - A tool name the SDK and the sidecar accept (any string) but the operator refuses (over 253
 *   characters, or a control character) is never kept on the status: that tool is pinned per sidecar
 *   only, and the sidecar serves it anyway.
 */
import { expect } from 'chai';
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { ToolSchema } from '@modelcontextprotocol/sdk/types.js';
import { recordToolBaseline } from '../../operator/tool-baseline-status.js';
import { recordToolDefinitionChange } from '../../operator/tool-definition-status.js';
import {
  parseToolDefinitionReport,
  type ToolBaseline,
  type ToolDefinitionChange,
} from '../../shared/contract/tool-definitions.js';

const A = 'a'.repeat(64);
const spec = {
  targets: [
    { name: 'hostile', protocol: 'mcp', listen: '127.0.0.1:1', upstream: { command: 'x' } },
    { name: 'files', protocol: 'mcp', listen: '127.0.0.1:2', upstream: { command: 'y' } },
  ],
  defaultAction: 'Allow',
} as never;

function fakeApi(): { api: CustomObjectsApi; status: () => ToolBaseline[] } {
  const obj = { metadata: { resourceVersion: '1' }, spec, status: {} as { toolDefinitionBaselines?: ToolBaseline[] } };
  const api = {
    getNamespacedCustomObject: async () => structuredClone(obj),
    patchNamespacedCustomObjectStatus: async (r: {
      body: { metadata: { resourceVersion: string }; status: { toolDefinitionBaselines: ToolBaseline[] } };
    }) => {
      obj.status.toolDefinitionBaselines = r.body.status.toolDefinitionBaselines;
      obj.metadata.resourceVersion = String(Number(obj.metadata.resourceVersion) + 1);
      return obj;
    },
  } as unknown as CustomObjectsApi;
  return { api, status: () => obj.status.toolDefinitionBaselines ?? [] };
}

describe('review-mcp: tool baselines on the policy status', () => {
  const at = { namespace: 'agents', policy: 'p', pod: 'pod-1' };

  it("one target's server cannot use up the baselines of another target", async () => {
    const f = fakeApi();
    for (let i = 0; i < 512; i++)
      await recordToolBaseline({ custom: f.api }, at, { target: 'hostile', tool: `junk-${i}`, sha256: A });
    expect(await recordToolBaseline({ custom: f.api }, at, { target: 'files', tool: 'read_file', sha256: A })).to.equal(
      'kept',
    );
  });

  for (const tool of ['t'.repeat(254), 'read\tfile'])
    it(`a tool name the SDK accepts (${JSON.stringify(tool.slice(0, 12))}…) can be kept as a baseline`, () => {
      expect(ToolSchema.safeParse({ name: tool, inputSchema: { type: 'object' } }).success).to.equal(true);
      const parsed = parseToolDefinitionReport({ target: 'files', tool, sha256: A });
      expect(parsed, String(parsed)).to.be.an('object');
    });
});

describe('review-mcp: rug-pull changes on the policy status', () => {
  const at = { namespace: 'agents', policy: 'p', pod: 'pod-1' };

  it("one target's junk changes do not push another target's rug pull off the status", async () => {
    const obj = {
      metadata: { resourceVersion: '1', generation: 1 },
      spec,
      status: {} as { toolDefinitionChanges?: ToolDefinitionChange[]; conditions?: unknown[] },
    };
    const api = {
      getNamespacedCustomObject: async () => structuredClone(obj),
      patchNamespacedCustomObjectStatus: async (r: { body: { status: typeof obj.status } }) => {
        Object.assign(obj.status, r.body.status);
        obj.metadata.resourceVersion = String(Number(obj.metadata.resourceVersion) + 1);
        return obj;
      },
    } as unknown as CustomObjectsApi;
    await recordToolDefinitionChange({ custom: api }, at, { target: 'files', tool: 'read_file', sha256: A });
    for (let i = 0; i < 32; i++)
      await recordToolDefinitionChange({ custom: api }, at, {
        target: 'hostile',
        tool: `junk-${i}`,
        sha256: i.toString(16).padStart(64, '0'),
      });
    expect((obj.status.toolDefinitionChanges ?? []).map((c) => `${c.target}/${c.tool}`)).to.include('files/read_file');
  });
});
