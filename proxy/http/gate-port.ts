/**
 * What the HTTP adapter needs from the gate: a verdict for a request, and a place to record what
 * happened. The adapter parses HTTP and applies verdicts in HTTP terms (403 problem, forward); the gate
 * owns the decision, built-in guards, approvals and the evidence (audit record, Event, metric).
 * direct-gate.ts implements it over the one gate (proxy/gate/gate.ts).
 */
import type { Gate } from '../gate/gate.js';
import type { GateRequest as OneOperation } from '../gate/request.js';
import { settled, type Decision } from '../gate/verdict.js';
import type { Principal } from '../identity/verify.js';
import type { HttpTargetSpec } from '../../shared/contract/policy-types.js';
import type { HttpDecision } from './decide-http.js';
import type { HttpRequestFacts } from './request-facts.js';

export interface GateRequest {
  facts: HttpRequestFacts;
  target: HttpTargetSpec;
  principal: Principal;
  /** One per agent connection (keep-alive requests share it): audit session and recordings. */
  sessionId: string;
  connectionId: string;
  client: { address: string; port?: number };
  /** The whole body masked, as approvers see it (never the clear body); asked only when an approval is sought. */
  maskedBody?: () => string;
  /** True once the agent's connection is gone (a held request then ends unanswered, its grant unspent). */
  closed?(): boolean;
}

/** A verdict in HTTP terms: 403 when something said no, 503 when the proxy cannot decide or record. */
export type StatusVerdict<D extends Decision> =
  | { kind: 'forward'; decision: D; decisionSeq: number; approval?: string }
  | { kind: 'refuse'; status: 403 | 503; reason: string; rule: string; approval?: string };

export type Verdict = StatusVerdict<HttpDecision>;

/**
 * The verdict for a request that is one operation (an HTTP request, an MCP call), a hold waited out:
 * refused at once while the proxy is unavailable (nothing can be recorded or the policy is gone).
 */
export async function oneVerdict<D extends Decision>(gate: Gate, req: OneOperation<D>): Promise<StatusVerdict<D>> {
  const w = req.wording;
  const down = gate.unavailable();
  if (down)
    return { kind: 'refuse', status: 503, reason: `${down}; ${w.noun}s are refused`, rule: 'proxy-unavailable' };
  const v = await settled(gate.check(req));
  if (!v)
    return {
      kind: 'refuse',
      status: 403,
      reason: `the agent went away while the ${w.noun} was held; ${w.nothing}`,
      rule: 'agent-gone',
    };
  if (v.kind === 'forward')
    return {
      kind: 'forward',
      decision: v.decisions[0]!,
      decisionSeq: v.records[0]!,
      ...(v.grant ? { approval: v.grant } : {}),
    };
  return {
    kind: 'refuse',
    status: v.code === 'denied' ? 403 : 503,
    reason: v.reason,
    rule: v.rule ?? 'proxy',
    ...(v.approval ? { approval: v.approval } : {}),
  };
}

export interface HttpOutcome {
  request: GateRequest;
  verdict: Extract<Verdict, { kind: 'forward' }>;
  /** Status sent to the agent (0 when none was sent). */
  status: number;
  requestBytes: number;
  responseBytes: number;
  maskedValues: number;
  durationMs: number;
  error?: string;
}

export interface HttpGatePort {
  /** Decides (and records the decision) before anything is forwarded; a Hold resolves once decided. */
  decide(req: GateRequest, onHold?: (approval: string) => void): Promise<Verdict>;
  /** Records how a forwarded request ended. */
  record(outcome: HttpOutcome): void;
  /** A token that did not verify. */
  identityRejected(target: string, connectionId: string, client: GateRequest['client'], reason: string): void;
  /** Malformed or oversized input, an upstream failure, a connection that ends: recorded, never silent. */
  protocolEvent(
    action: 'protocol.error' | 'connection.close',
    fields: {
      target: string;
      connectionId: string;
      sessionId?: string;
      client?: GateRequest['client'];
      message: string;
    },
  ): void;
  /** Whether new requests may be served (the audit log can be written, the policy is available). */
  unavailable(): string | undefined;
}
