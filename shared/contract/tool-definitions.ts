/**
 * A rug pull as the policy's status shows it: the sidecar reports a tool whose definition changed
 * (POST /events, reason ToolDefinitionChanged, with `toolDefinition`), the operator keeps the reported
 * fingerprints not yet accepted in `status.toolDefinitionChanges` and derives the condition
 * ToolDefinitionsAccepted from them and the spec: False while one is not listed in its target's
 * `mcp.acceptedTools`, True once all are.
 */
import type { AgentAccessPolicy, McpTargetSpec } from './policy-types.js';

export const TOOL_DEFINITIONS_CONDITION = 'ToolDefinitionsAccepted';
export const TOOL_DEFINITION_CHANGED = 'ToolDefinitionChanged';
/**
 * A sidecar saw a tool for the first time: the operator keeps its fingerprint as the tool's baseline in
 * `status.toolDefinitionBaselines` (first report per target and tool wins), and compiled policies deliver
 * them to every sidecar, so a restarted or second sidecar does not take another definition as the first.
 */
export const TOOL_DEFINITION_FIRST_SEEN = 'ToolDefinitionFirstSeen';
/**
 * At most this many baselines are kept, shared out evenly among the policy's MCP targets (one target's
 * server cannot use up another's); later tools are not pinned across sidecars (each sidecar keeps its own).
 */
export const TOOL_BASELINES_LIMIT = 512;
/**
 * The longest tool name kept on the status or accepted in `mcp.acceptedTools` (its CRD maxLength); a
 * sidecar blocks a tool with a longer name (or a NUL in it): it could never be pinned cluster-wide.
 */
export const MAX_TOOL_NAME = 256;

/** Whether a tool of this name can be kept on the status and accepted by the spec. */
export function keepableToolName(s: unknown): s is string {
  return typeof s === 'string' && s.length > 0 && s.length <= MAX_TOOL_NAME && !s.includes('\u0000');
}

/** Each MCP target's share of a status list bounded by `limit` (at least 1). */
export function perTargetShare(policy: Pick<AgentAccessPolicy, 'spec'>, limit: number): number {
  const n = (policy.spec?.targets ?? []).filter((t) => t.protocol === 'mcp').length;
  return Math.max(1, Math.floor(limit / Math.max(1, n)));
}

/** One first-seen fingerprint, as the policy's status keeps it. */
export interface ToolBaseline {
  target: string;
  tool: string;
  sha256: string;
  pod: string;
  reportedAt: string;
}
/**
 * At most this many unaccepted changes are kept (a misbehaving server cannot grow the status without
 * bound), shared out among the MCP targets; within a target's share the earliest reports are kept, so
 * later junk from one server cannot push a real rug pull off the status.
 */
export const TOOL_DEFINITION_CHANGES_LIMIT = 32;

/** What the sidecar reports of one changed tool. */
export interface ToolDefinitionReport {
  target: string;
  tool: string;
  sha256: string;
  /** The fingerprint first seen in this sidecar, when there was one. */
  baseline?: string;
}

/** One reported change, as the policy's status keeps it. */
export interface ToolDefinitionChange extends ToolDefinitionReport {
  /** The pod whose sidecar reported it. */
  pod: string;
  reportedAt: string;
}

const SHA256 = /^[0-9a-f]{64}$/;

/** The report as the sidecar sent it, or why it is refused (the operator takes nothing else). */
export function parseToolDefinitionReport(v: unknown): ToolDefinitionReport | string {
  if (!v || typeof v !== 'object' || Array.isArray(v))
    return 'toolDefinition must be an object {target, tool, sha256, baseline?}';
  const { target, tool, sha256, baseline, ...rest } = v as Record<string, unknown>;
  if (Object.keys(rest).length) return `toolDefinition has unknown fields: ${Object.keys(rest).join(', ')}`;
  const name = (s: unknown): s is string =>
    // eslint-disable-next-line no-control-regex -- control characters are what this refuses
    typeof s === 'string' && s.length > 0 && s.length <= 253 && !/[\u0000-\u001f\u007f]/.test(s);
  if (!name(target)) return 'toolDefinition.target must be a name of at most 253 printable characters';
  // A tool's name is whatever its server calls it (the SDK takes any string): kept as is, shown quoted.
  if (!keepableToolName(tool))
    return `toolDefinition.tool must be a name of at most ${MAX_TOOL_NAME} characters without NUL`;
  if (typeof sha256 !== 'string' || !SHA256.test(sha256))
    return 'toolDefinition.sha256 must be 64 lowercase hex digits';
  if (baseline !== undefined && (typeof baseline !== 'string' || !SHA256.test(baseline)))
    return 'toolDefinition.baseline must be 64 lowercase hex digits';
  return { target, tool, sha256, ...(baseline ? { baseline } : {}) };
}

/** Whether the spec lists this fingerprint for the tool of that MCP target. */
export function isAccepted(
  policy: Pick<AgentAccessPolicy, 'spec'>,
  c: Pick<ToolDefinitionReport, 'target' | 'tool' | 'sha256'>,
): boolean {
  const t = policy.spec?.targets?.find((x) => x.name === c.target) as McpTargetSpec | undefined;
  return !!t && (t.mcp?.acceptedTools ?? []).some((a) => a.tool === c.tool && a.sha256 === c.sha256);
}

export interface ToolDefinitionsCondition {
  type: typeof TOOL_DEFINITIONS_CONDITION;
  status: 'True' | 'False';
  reason: string;
  message: string;
  observedGeneration: number;
}

/**
 * The changes still open under this spec and the condition they give; no condition when nothing was
 * ever reported (`hadCondition` false and nothing open).
 */
export function toolDefinitionsState(
  policy: Pick<AgentAccessPolicy, 'spec'>,
  generation: number,
  changes: ToolDefinitionChange[],
  hadCondition: boolean,
): { open: ToolDefinitionChange[]; condition?: ToolDefinitionsCondition } {
  const share = perTargetShare(policy, TOOL_DEFINITION_CHANGES_LIMIT);
  const taken = new Map<string, number>();
  const open = changes
    .filter((c) => !isAccepted(policy, c))
    .filter((c) => {
      const n = taken.get(c.target) ?? 0;
      taken.set(c.target, n + 1);
      return n < share;
    })
    .slice(0, TOOL_DEFINITION_CHANGES_LIMIT);
  if (open.length) {
    const list = open
      .map(
        (c) =>
          `tool ${JSON.stringify(c.tool)} on target ${c.target} changed its definition (sha256 ${c.sha256}, reported by pod ${c.pod})`,
      )
      .join('; ');
    return {
      open,
      condition: {
        type: TOOL_DEFINITIONS_CONDITION,
        status: 'False',
        reason: TOOL_DEFINITION_CHANGED,
        message: `${list}; blocked until the fingerprint is listed in the target's mcp.acceptedTools`.slice(0, 4096),
        observedGeneration: generation,
      },
    };
  }
  if (!hadCondition) return { open };
  return {
    open,
    condition: {
      type: TOOL_DEFINITIONS_CONDITION,
      status: 'True',
      reason: 'Accepted',
      message: "every reported tool definition is listed in its target's mcp.acceptedTools",
      observedGeneration: generation,
    },
  };
}
