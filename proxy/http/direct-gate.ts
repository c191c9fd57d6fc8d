/**
 * The HTTP gate port over the one gate (proxy/gate/gate.ts): a request is one operation, decided by
 * HttpPolicyEngine over its facts; the approval is bound to method + path + canonical body; the verdict
 * is applied in HTTP terms (403 for a refusal, 503 when nothing can be decided or recorded).
 */
import { approvalText } from '../gate/approval-text.js';
import { headerLines } from './header-binding.js';
import type { AuditFields } from '../audit/record.js';
import { principalRecord } from '../identity/verify.js';
import type { Gate } from '../gate/gate.js';
import type { GateRequest as OneOperation, Wording } from '../gate/request.js';
import { refusedByRule } from '../gate/verdict.js';
import type { PolicyRuntime } from '../policy/runtime.js';
import { HttpPolicyEngine, type HttpDecision } from './decide-http.js';
import { oneVerdict, type GateRequest, type HttpGatePort, type HttpOutcome, type Verdict } from './gate-port.js';
import { requestLine } from './request-facts.js';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
const REQUEST: Wording = { noun: 'request', nothing: 'nothing was forwarded', again: 'send the same request again' };

export class DirectHttpGate implements HttpGatePort {
  private engineFor?: { runtime: PolicyRuntime; engine: HttpPolicyEngine };

  constructor(private readonly gate: Gate) {}

  private engine(rt: PolicyRuntime): HttpPolicyEngine {
    if (this.engineFor?.runtime !== rt) this.engineFor = { runtime: rt, engine: new HttpPolicyEngine(rt.policy.spec) };
    return this.engineFor.engine;
  }

  unavailable(): string | undefined {
    return this.gate.unavailable();
  }

  async decide(req: GateRequest, onHold?: (approval: string) => void): Promise<Verdict> {
    const f = req.facts;
    const p = req.principal;
    const request: OneOperation<HttpDecision> = {
      protocol: 'http',
      target: req.target.name,
      principal: p,
      audit: this.gate.scope(this.scope(req)),
      stage: 'run',
      wording: REQUEST,
      closed: () => req.closed?.() ?? false,
      ...(onHold ? { onHold } : {}),
      operations: [
        {
          decide: (rt) =>
            this.engine(rt).decide(f, req.target, {
              sub: p.sub,
              iss: p.iss,
              ...(p.triggeredBy ? { triggeredBy: p.triggeredBy.sub } : {}),
            }),
          record: (rt, d) => ({
            text: requestLine(f),
            counted: { http: { method: f.method } },
            fields: {
              client: req.client,
              http: {
                method: f.method,
                path: rt.masker.maskText(f.path.raw).text,
                ...(d.pathTemplate ? { pathTemplate: d.pathTemplate } : {}),
                requestBytes: f.body.length,
                bodySha256: f.sha256,
              },
            },
          }),
          approval: (rt) => {
            const line = rt.masker.maskText(requestLine(f)).text;
            const headers = f.boundHeaders.length ? `\n${rt.masker.maskText(headerLines(f.boundHeaders)).text}` : '';
            return {
              sha256: f.sha256,
              line,
              text: approvalText(`${line}${headers}${req.maskedBody ? `\n\n${req.maskedBody()}` : ''}`),
              summary: `HTTP ${line}`.slice(0, 119),
              effects: [SAFE.has(f.method) ? 'read' : 'write'],
            };
          },
          refusal: (d) => refusedByRule(d, REQUEST.noun),
        },
      ],
    };
    return oneVerdict(this.gate, request);
  }

  /** What every record of this request shares. */
  private scope(req: GateRequest): Pick<AuditFields, 'session' | 'connection' | 'principal' | 'target'> {
    return {
      session: { id: req.sessionId },
      connection: req.connectionId,
      principal: principalRecord(req.principal),
      target: req.target.name,
    };
  }

  record(o: HttpOutcome): void {
    const req = o.request;
    const failed = o.error !== undefined || o.status >= 500 || o.status === 0;
    this.gate.complete({
      ...this.scope(req),
      protocol: 'http',
      event: {
        action: 'statement.completion',
        outcome: failed ? 'failure' : 'success',
        duration: Math.round(Math.max(0, o.durationMs) * 1e6),
      },
      decisionSeq: o.verdict.decisionSeq,
      http: {
        method: req.facts.method,
        path: this.gate.runtime().masker.maskText(req.facts.path.raw).text,
        ...(o.verdict.decision.pathTemplate ? { pathTemplate: o.verdict.decision.pathTemplate } : {}),
        status: o.status,
        requestBytes: o.requestBytes,
        responseBytes: o.responseBytes,
      },
      maskedValues: o.maskedValues,
      ...(o.error ? { error: { message: o.error } } : {}),
    });
  }

  identityRejected(target: string, connectionId: string, client: GateRequest['client'], reason: string): void {
    this.gate.identityRejected('http', target, connectionId, client, reason);
  }

  protocolEvent(
    action: 'protocol.error' | 'connection.close',
    f: { target: string; connectionId: string; sessionId?: string; client?: GateRequest['client']; message: string },
  ): void {
    this.gate.protocolEvent('http', action, f);
  }
}
