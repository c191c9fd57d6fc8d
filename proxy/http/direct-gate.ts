/**
 * The HTTP gate port over the protocol-free gate (proxy/gate/engine-gate.ts): the request's facts go to
 * HttpPolicyEngine; the approval is bound to method + path + canonical body; the verdict is applied in
 * HTTP terms (403 for a refusal, 503 when nothing can be decided or recorded).
 */
import { EngineGate, type EngineGateServices, type EngineRequest } from '../gate/engine-gate.js';
import type { PolicyRuntime } from '../policy/runtime.js';
import { HttpPolicyEngine, type HttpDecision } from './decide-http.js';
import { withStatus, type GateRequest, type HttpGatePort, type HttpOutcome, type Verdict } from './gate-port.js';
import { requestLine } from './request-facts.js';

export type DirectGateOptions = EngineGateServices;

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

export class DirectHttpGate implements HttpGatePort {
  private readonly gate: EngineGate;
  private engineFor?: { runtime: PolicyRuntime; engine: HttpPolicyEngine };

  constructor(private readonly o: DirectGateOptions) {
    this.gate = new EngineGate(o);
  }

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
    const request: EngineRequest<HttpDecision> = {
      protocol: 'http',
      target: req.target.name,
      principal: p,
      sessionId: req.sessionId,
      connectionId: req.connectionId,
      client: req.client,
      wording: { noun: 'request', notSent: 'nothing was forwarded' },
      decide: (rt) =>
        this.engine(rt).decide(f, req.target, {
          sub: p.sub,
          iss: p.iss,
          ...(p.triggeredBy ? { triggeredBy: p.triggeredBy.sub } : {}),
        }),
      record: (rt, d) => ({
        text: requestLine(f),
        fields: {
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
        return {
          sha256: f.sha256,
          line,
          text: `${line}${req.maskedBody ? `\n\n${req.maskedBody}` : ''}`.slice(0, 65536),
          summary: `HTTP ${line}`.slice(0, 119),
          effects: [SAFE.has(f.method) ? 'read' : 'write'],
        };
      },
      ...(onHold ? { onHold } : {}),
    };
    return withStatus(await this.gate.check(request));
  }

  record(o: HttpOutcome): void {
    const req = o.request;
    const failed = o.error !== undefined || o.status >= 500 || o.status === 0;
    this.gate.complete(
      {
        protocol: 'http',
        target: req.target.name,
        principal: req.principal,
        sessionId: req.sessionId,
        connectionId: req.connectionId,
      },
      {
        event: {
          action: 'statement.completion',
          outcome: failed ? 'failure' : 'success',
          duration: Math.round(Math.max(0, o.durationMs) * 1e6),
        },
        decisionSeq: o.verdict.decisionSeq,
        http: {
          method: req.facts.method,
          path: this.o.runtime().masker.maskText(req.facts.path.raw).text,
          ...(o.verdict.decision.pathTemplate ? { pathTemplate: o.verdict.decision.pathTemplate } : {}),
          status: o.status,
          requestBytes: o.requestBytes,
          responseBytes: o.responseBytes,
        },
        maskedValues: o.maskedValues,
        ...(o.error ? { error: { message: o.error } } : {}),
      },
    );
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
