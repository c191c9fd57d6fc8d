/**
 * Tool definitions pinned against a "rug pull": a server that shows a harmless tool, then changes its
 * description or schema mid-session (new instructions for the model, a new parameter). The first
 * definition the sidecar sees of a tool is its baseline (for every session of the target while the
 * sidecar runs); a later, different one is blocked until its fingerprint is in the target's
 * `mcp.acceptedTools`. A tool listed there is pinned: only the listed fingerprints pass.
 */
import { createHash } from 'node:crypto';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { canonicalJson } from '../http/request-facts.js';
import type { McpTargetSpec } from '../../shared/contract/policy-types.js';

export function toolFingerprint(t: Tool): string {
  const { name, title, description, inputSchema, outputSchema, annotations } = t;
  return createHash('sha256')
    .update(canonicalJson({ name, title, description, inputSchema, outputSchema, annotations }))
    .digest('hex');
}

export type ToolCheck = { ok: true } | { ok: false; baseline?: string; fingerprint: string; first: boolean };

export class ToolFingerprints {
  private readonly baseline = new Map<string, string>();
  private readonly reported = new Set<string>();

  check(target: McpTargetSpec, tool: string, fingerprint: string): ToolCheck {
    const pinned = (target.mcp?.acceptedTools ?? []).filter((a) => a.tool === tool);
    if (pinned.some((a) => a.sha256 === fingerprint)) return { ok: true };
    const base = this.baseline.get(tool);
    if (!pinned.length && (base === undefined || base === fingerprint)) {
      if (base === undefined) this.baseline.set(tool, fingerprint);
      return { ok: true };
    }
    const key = `${tool}\n${fingerprint}`;
    const first = !this.reported.has(key);
    this.reported.add(key);
    return { ok: false, ...(base ? { baseline: base } : {}), fingerprint, first };
  }
}
