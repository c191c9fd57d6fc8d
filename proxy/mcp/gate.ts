/**
 * The MCP adapter's gate over the one gate (proxy/gate/gate.ts): a call is one operation, decided by
 * McpPolicyEngine over its facts; the approval is bound to the call (method, name, canonical
 * arguments); the decision record carries the call, its arguments masked. What is MCP's own (a tool
 * definition that changed) is recorded here.
 */
import { createHash } from 'node:crypto';
import { approvalText } from '../gate/approval-text.js';
import type { Gate } from '../gate/gate.js';
import { canonicalJson } from '../http/request-facts.js';
import type { GateRequest as OneOperation, Wording } from '../gate/request.js';
import { refusedByRule, type Decision } from '../gate/verdict.js';
import { oneVerdict, type StatusVerdict } from '../http/gate-port.js';
import { principalRecord, type Principal } from '../identity/verify.js';
import type { AuditFields } from '../audit/record.js';
import type { Masker } from '../masking/masker.js';
import type { PolicyRuntime } from '../policy/runtime.js';
import { OTHER_LABEL } from '../observability/metrics.js';
import type { McpTargetSpec } from '../../shared/contract/policy-types.js';
import { McpPolicyEngine } from './decide-mcp.js';
import { callLine, type McpCallFacts } from './mcp-facts.js';

export interface McpGateRequest {
  facts: McpCallFacts;
  target: McpTargetSpec;
  principal: Principal;
  sessionId: string;
  connectionId: string;
  client: { address: string; port?: number };
  /** The arguments as the audit log sees them (masked JSON). */
  maskedArguments: string;
  /** As approvers see them: masked, each masked value a keyed digest, so two different values read differently. */
  approvalArguments?: () => string;
  requestBytes: number;
  /** The masker for this session (the policy's, with the server's credentials): the policy's when absent. */
  masker?: () => Masker;
  /**
   * A refusal the adapter decides before the policy is asked (a tool blocked after a rug pull, one the
   * server does not have, a method not gated): decided and recorded like any other denial. Asked on
   * every decision, so a call held for approval is refused if its tool was blocked meanwhile.
   */
  refusal?: () => McpRefusal | undefined;
  /** True once the agent cancelled the call or its session closed (a held call then ends unanswered, its grant unspent). */
  closed?(): boolean;
}

/** `unlessPolicyBlocks`: the policy's own refusal (its rule) is recorded when it has one. */
export interface McpRefusal {
  rule: string;
  message: string;
  unlessPolicyBlocks?: boolean;
}

export type McpVerdict = StatusVerdict<Decision>;

export interface McpOutcome {
  request: McpGateRequest;
  verdict: Extract<McpVerdict, { kind: 'forward' }>;
  resultBytes: number;
  maskedValues: number;
  isError: boolean;
  durationMs: number;
  error?: string;
}

const CALL: Wording = { noun: 'call', nothing: 'nothing was sent to the server', again: 'send the same request again' };

export class McpGate {
  private engineFor?: { runtime: PolicyRuntime; engine: McpPolicyEngine };
  /** Per target, the tools its server listed last: with those a rule names, the only ones with their own metric label. */
  private readonly listed = new Map<string, Set<string>>();

  constructor(private readonly gate: Gate) {}

  runtime(): PolicyRuntime {
    return this.gate.runtime();
  }

  engine(rt: PolicyRuntime = this.gate.runtime()): McpPolicyEngine {
    if (this.engineFor?.runtime !== rt) this.engineFor = { runtime: rt, engine: new McpPolicyEngine(rt.policy.spec) };
    return this.engineFor.engine;
  }

  unavailable(): string | undefined {
    return this.gate.unavailable();
  }

  async decide(req: McpGateRequest, onHold?: (approval: string) => void): Promise<McpVerdict> {
    const f = req.facts;
    const p = req.principal;
    const request: OneOperation = {
      protocol: 'mcp',
      target: req.target.name,
      principal: p,
      audit: this.gate.scope(this.scope(req)),
      stage: 'run',
      wording: CALL,
      closed: () => req.closed?.() ?? false,
      ...(onHold ? { onHold } : {}),
      operations: [
        {
          decide: (rt) => {
            const r = req.refusal?.();
            if (r && !r.unlessPolicyBlocks) return { action: 'Deny', rule: r.rule, message: r.message, blocked: true };
            const d = this.engine(rt).decide(
              f,
              req.target,
              { sub: p.sub, iss: p.iss, ...(p.triggeredBy ? { triggeredBy: p.triggeredBy.sub } : {}) },
              p.triggeredBy,
            );
            return r && !d.blocked ? { action: 'Deny', rule: r.rule, message: r.message, blocked: true } : d;
          },
          record: (rt) => ({
            text: callLine(f),
            counted: { mcp: { method: f.method, tool: this.toolLabel(rt, req.target, f.tool) } },
            fields: { client: req.client, mcp: this.callFields(req, rt) },
            eventWhat: rt.masker.maskText(callLine(f)).text,
          }),
          approval: (rt) => {
            // Read by approvers: each masked value a keyed digest, so two calls (two URIs) that differ
            // only in a masked part do not read the same.
            const shown = (req.masker?.() ?? rt.masker).distinguishing();
            const line = shown.maskText(callLine(f)).text;
            const bound = f.bound ? `\n\nalso forwarded (masked): ${shown.maskText(JSON.stringify(f.bound)).text}` : '';
            return {
              sha256: f.sha256,
              line,
              text: approvalText(
                `${line}\n\narguments (masked; the same value reads the same), sha256 ${f.sha256}:\n${req.approvalArguments?.() ?? req.maskedArguments}${bound}`,
              ),
              summary: `MCP ${line}`.slice(0, 119),
              effects: [f.method === 'tools/call' ? 'write' : 'read'],
            };
          },
          refusal: (d) => refusedByRule(d, CALL.noun),
        },
      ],
    };
    return oneVerdict(this.gate, request);
  }

  /** The tools the target's server listed (tools/list), as it defined them. */
  toolsListed(target: string, names: Iterable<string>): void {
    this.listed.set(target, new Set(names));
  }

  /**
   * The metric label of a call's tool: the agent chooses the name, so it is its own label only when the
   * server listed it or a rule names it, and masking leaves it as it is (else OTHER_LABEL).
   */
  private toolLabel(rt: PolicyRuntime, target: McpTargetSpec, tool: string | undefined): string {
    if (tool === undefined) return '';
    const known =
      this.listed.get(target.name)?.has(tool) === true ||
      (rt.policy.spec.rules ?? []).some((r) => r.when?.mcp?.tools?.includes(tool));
    return known && rt.masker.maskText(tool).text === tool ? tool : OTHER_LABEL;
  }

  /** What every record of this call shares. */
  private scope(
    req: Pick<McpGateRequest, 'sessionId' | 'connectionId' | 'principal' | 'target'>,
  ): Pick<AuditFields, 'session' | 'connection' | 'principal' | 'target'> {
    return {
      session: { id: req.sessionId },
      connection: req.connectionId,
      principal: principalRecord(req.principal),
      target: req.target.name,
    };
  }

  private callFields(req: McpGateRequest, rt: PolicyRuntime): NonNullable<AuditFields['mcp']> {
    const f = req.facts;
    const m = (s: string): string => rt.masker.maskText(s).text;
    return {
      method: f.method,
      ...(f.tool !== undefined ? { tool: m(f.tool) } : {}),
      ...(f.uri !== undefined ? { uri: m(f.uri) } : {}),
      ...(f.prompt !== undefined ? { prompt: m(f.prompt) } : {}),
      argumentsSha256: f.sha256,
      ...(rt.policy.spec.audit?.includeStatementText !== false
        ? { arguments: req.maskedArguments.slice(0, 16384) }
        : {}),
      requestBytes: req.requestBytes,
    };
  }

  record(o: McpOutcome): void {
    const req = o.request;
    this.gate.complete({
      ...this.scope(req),
      protocol: 'mcp',
      event: {
        action: 'statement.completion',
        outcome: o.error !== undefined ? 'failure' : 'success',
        duration: Math.round(Math.max(0, o.durationMs) * 1e6),
      },
      decisionSeq: o.verdict.decisionSeq,
      mcp: { ...this.callFields(req, this.gate.runtime()), resultBytes: o.resultBytes, isError: o.isError },
      maskedValues: o.maskedValues,
      ...(o.error ? { error: { message: o.error } } : {}),
    });
  }

  /** A tool whose definition changed from the one first seen (or from the pinned ones): blocked until accepted. */
  toolChanged(
    target: string,
    session: { sessionId: string; connectionId: string; principal: Principal },
    tool: string,
    fingerprint: string,
    baseline: string | undefined,
    added = false,
  ): void {
    const what = added
      ? `appeared after the target's first tool listing (sha256 ${fingerprint})`
      : `changed its definition (sha256 ${fingerprint}${baseline ? `, was ${baseline}` : ', not among the accepted ones'})`;
    const message = `tool "${tool}" on target ${target} ${what}; it is blocked until an admin lists the new fingerprint in the target's mcp.acceptedTools`;
    this.gate.notice(
      {
        event: { action: 'protocol.error', outcome: 'failure' },
        session: { id: session.sessionId },
        connection: session.connectionId,
        principal: principalRecord(session.principal),
        target,
        protocol: 'mcp',
        rule: { name: 'tool-definition-changed' },
        message,
        detail: { tool, sha256: fingerprint, ...(baseline ? { baseline } : {}) },
      },
      {
        reason: 'ToolDefinitionChanged',
        message,
        detail: { toolDefinition: { target, tool, sha256: fingerprint, ...(baseline ? { baseline } : {}) } },
      },
    );
  }

  /**
   * A request the server sent the agent (sampling, elicitation) that the target lets through: recorded,
   * as masked as the agent receives it, before it is relayed.
   */
  relayed(
    req: Pick<McpGateRequest, 'sessionId' | 'connectionId' | 'principal' | 'target' | 'client'>,
    method: string,
    masked: unknown,
    maskedValues: number,
    requestBytes: number,
  ): void {
    const rt = this.gate.runtime();
    const text = JSON.stringify(masked ?? {});
    this.gate.notice({
      ...this.scope(req),
      event: { action: 'statement.decision', outcome: 'success' },
      policy: rt.ref,
      protocol: 'mcp',
      client: req.client,
      decision: 'Allow',
      enforced: false,
      rule: { name: `mcp.capabilities.${method.startsWith('sampling/') ? 'sampling' : 'elicitation'}` },
      mcp: {
        method,
        argumentsSha256: createHash('sha256')
          .update(canonicalJson(masked ?? {}))
          .digest('hex'),
        ...(rt.policy.spec.audit?.includeStatementText !== false ? { arguments: text.slice(0, 16384) } : {}),
        requestBytes,
      },
      maskedValues,
    });
  }

  /**
   * What the agent side answered a relayed request with (the model's reply, what the user typed into an
   * elicitation form): data handed to the server like a call's arguments, recorded masked (and its
   * sha256) before the server gets it.
   */
  relayedAnswer(
    req: Pick<McpGateRequest, 'sessionId' | 'connectionId' | 'principal' | 'target' | 'client'>,
    method: string,
    answer: { sha256: string; masked: string; maskedValues: number; bytes: number },
  ): void {
    const rt = this.gate.runtime();
    this.gate.notice({
      ...this.scope(req),
      event: { action: 'statement.completion', outcome: 'success' },
      protocol: 'mcp',
      client: req.client,
      rule: { name: `mcp.capabilities.${method.startsWith('sampling/') ? 'sampling' : 'elicitation'}` },
      message: `the agent's answer to ${method}, passed to the server`,
      mcp: {
        method,
        argumentsSha256: answer.sha256,
        ...(rt.policy.spec.audit?.includeStatementText !== false ? { arguments: answer.masked.slice(0, 16384) } : {}),
        requestBytes: answer.bytes,
      },
      maskedValues: answer.maskedValues,
    });
  }

  identityRejected(target: string, connectionId: string, client: McpGateRequest['client'], reason: string): void {
    this.gate.identityRejected('mcp', target, connectionId, client, reason);
  }

  protocolEvent(
    action: 'protocol.error' | 'connection.close',
    f: { target: string; connectionId: string; sessionId?: string; client?: McpGateRequest['client']; message: string },
  ): void {
    this.gate.protocolEvent('mcp', action, f);
  }
}
