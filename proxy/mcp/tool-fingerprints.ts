/**
 * Tool definitions pinned against a "rug pull": a server that shows a harmless tool, then changes its
 * definition (description, schema, annotations, `_meta`, icons: all of it) mid-session or between
 * sessions. The first definition seen of a tool on a target is its baseline, kept by a BaselineStore
 * (a file next to the audit log in local mode, so a restarted sidecar keeps it; in memory otherwise);
 * a later, different one is blocked until its fingerprint is in the target's `mcp.acceptedTools`. A
 * tool listed there is pinned: only the listed fingerprints pass.
 */
import { createHash } from 'node:crypto';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { canonicalJson } from '../http/request-facts.js';
import type { McpTargetSpec } from '../../shared/contract/policy-types.js';
import { MemoryBaselines, type BaselineStore } from './tool-baselines.js';

/** sha256 of the whole definition as the server sent it (canonical JSON: keys sorted). */
export function toolFingerprint(t: Tool): string {
  return createHash('sha256').update(canonicalJson(t)).digest('hex');
}

/** `claimed`: this check offered the fingerprint as the tool's first baseline. */
export type ToolCheck =
  | { ok: true; claimed?: true }
  | { ok: false; baseline?: string; fingerprint: string; first: boolean; unrecorded?: string; claimed?: true };

export class ToolFingerprints {
  private readonly reported = new Set<string>();

  constructor(private readonly baselines: BaselineStore = new MemoryBaselines()) {}

  /** Whether the target's tools were listed before (a baseline is kept for one of them), here or by another sidecar. */
  known(target: string): boolean {
    try {
      return this.baselines.knows(target);
    } catch {
      // An unreadable store: treat every name as added (blocked) rather than first seen.
      return true;
    }
  }

  /** Whether a baseline is kept for the tool. */
  hasBaseline(target: string, tool: string): boolean {
    try {
      return this.baselines.get(target, tool) !== undefined;
    } catch {
      return false;
    }
  }

  /**
   * A tool without a baseline yet gets this fingerprint as its baseline, unless `added` (a name that
   * appeared after the target's first listing: a change, blocked until pinned) or `budgetSpent` (a
   * listing's budget of new names is spent: blocked, unrecorded).
   */
  check(
    target: McpTargetSpec,
    tool: string,
    fingerprint: string,
    o: { added?: boolean; budgetSpent?: boolean } = {},
  ): ToolCheck {
    const pinned = (target.mcp?.acceptedTools ?? []).filter((a) => a.tool === tool);
    if (pinned.some((a) => a.sha256 === fingerprint)) {
      // Kept as its baseline too: the store then knows the target's names (a name it lacks is added).
      if (!o.budgetSpent)
        try {
          this.baselines.claim(target.name, tool, fingerprint);
        } catch {
          // the pin decides this tool; a baseline is only what the store remembers of it
        }
      return { ok: true };
    }
    let base: string | undefined;
    let unrecorded: string | undefined;
    let claimed = false;
    try {
      // First writer wins: the baseline is what the store holds once this one is offered.
      // (claim is asked even when a baseline is kept: a cluster store reports it again until the operator has it.)
      base = this.baselines.get(target.name, tool);
      if (!pinned.length) {
        claimed = base === undefined && !o.added;
        if (claimed && o.budgetSpent) unrecorded = 'too many new tool names in one listing';
        else if (!o.added || base !== undefined) base = this.baselines.claim(target.name, tool, fingerprint);
      }
    } catch (e) {
      // A baseline that cannot be kept is no baseline: the tool is blocked until it can be.
      unrecorded = (e as Error).message;
    }
    if (!pinned.length && unrecorded === undefined && base === fingerprint)
      return { ok: true, ...(claimed ? { claimed: true as const } : {}) };
    const key = `${tool}\n${fingerprint}`;
    const first = !this.reported.has(key);
    this.reported.add(key);
    return {
      ok: false,
      ...(base && base !== fingerprint ? { baseline: base } : {}),
      fingerprint,
      first,
      ...(unrecorded !== undefined ? { unrecorded } : {}),
      ...(claimed && unrecorded === undefined ? { claimed: true as const } : {}),
    };
  }
}
