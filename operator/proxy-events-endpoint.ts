/**
 * `POST /events {type, reason, message}`: Events on a proxy's own pod, emitted by the operator. The
 * proxy's service account is the agent's, so it gets no Event rights; it asks here with its own
 * pod-bound token. Only the proxy's state changes that are not deviations are taken, with their fixed
 * type (deviations' Events come from POST /deviations); the pod is the authenticated one. A
 * ToolDefinitionChanged carries `toolDefinition` {target, tool, sha256, baseline?}: the change is also
 * set on the status of the policy the pod follows (condition ToolDefinitionsAccepted). A
 * ToolDefinitionFirstSeen carries `toolDefinition` {target, tool, sha256}: no Event, the fingerprint is
 * kept as the tool's baseline on the policy's status if none is yet (first report wins).
 */
import express, { type Request, type Response, type Router } from 'express';
import type { CustomObjectsApi } from '@kubernetes/client-node';
import {
  parseToolDefinitionReport,
  TOOL_DEFINITION_CHANGED,
  TOOL_DEFINITION_FIRST_SEEN,
  type ToolDefinitionReport,
} from '../shared/contract/tool-definitions.js';
import { recordToolBaseline } from './tool-baseline-status.js';
import { recordToolDefinitionChange } from './tool-definition-status.js';
import type { EventRecorder } from '../shared/kube/events.js';
import { messageOf } from '../shared/kube/client.js';
import { ProxyRequestError, proxyTokenVerifier, type ProxyTokenOptions } from './identity/proxy-token.js';
import { sendProblem } from './webhook/pod-api.js';

export const PROXY_EVENT_TYPES: Record<string, 'Normal' | 'Warning'> = {
  PolicyUnavailable: 'Warning',
  PolicyAvailable: 'Normal',
  CompiledPolicyTampered: 'Warning',
  ToolDefinitionChanged: 'Warning',
  ToolDefinitionFirstSeen: 'Normal',
};

export function proxyEventsRouter(o: ProxyTokenOptions & { events: EventRecorder; custom: CustomObjectsApi }): Router {
  const router = express.Router();
  const authenticate = proxyTokenVerifier(o);
  router.post('/events', express.json({ limit: '8kb' }), async (req: Request, res: Response) => {
    try {
      const caller = await authenticate(req.get('authorization'));
      const { type, reason, message, toolDefinition } = (req.body ?? {}) as {
        type?: unknown;
        reason?: unknown;
        message?: unknown;
        toolDefinition?: unknown;
      };
      if (
        typeof reason !== 'string' ||
        !Object.hasOwn(PROXY_EVENT_TYPES, reason) ||
        type !== PROXY_EVENT_TYPES[reason] ||
        typeof message !== 'string'
      ) {
        throw new ProxyRequestError(
          400,
          `body must be {type, reason, message} with reason one of ${Object.keys(PROXY_EVENT_TYPES).join(', ')} and its type`,
        );
      }
      let report: ToolDefinitionReport | undefined;
      if (reason === TOOL_DEFINITION_FIRST_SEEN && toolDefinition === undefined)
        throw new ProxyRequestError(400, `${TOOL_DEFINITION_FIRST_SEEN} carries a toolDefinition`);
      if (toolDefinition !== undefined) {
        if (reason !== TOOL_DEFINITION_CHANGED && reason !== TOOL_DEFINITION_FIRST_SEEN)
          throw new ProxyRequestError(
            400,
            `toolDefinition goes with reason ${TOOL_DEFINITION_CHANGED} or ${TOOL_DEFINITION_FIRST_SEEN} only`,
          );
        const parsed = parseToolDefinitionReport(toolDefinition);
        if (typeof parsed === 'string') throw new ProxyRequestError(400, parsed);
        report = parsed;
      }
      const pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: caller.pod, namespace: caller.namespace, uid: caller.podUid },
      };
      if (reason === TOOL_DEFINITION_FIRST_SEEN) {
        const kept = await recordToolBaseline(
          o,
          { namespace: caller.namespace, policy: caller.policy, pod: caller.pod },
          report!,
        );
        res.json({ baseline: kept });
        return;
      }
      await o.events.emit(pod, PROXY_EVENT_TYPES[reason]!, reason, message.slice(0, 1024));
      if (report)
        await recordToolDefinitionChange(
          o,
          { namespace: caller.namespace, policy: caller.policy, pod: caller.pod },
          report,
        );
      res.json({ emitted: reason });
    } catch (e) {
      const status = e instanceof ProxyRequestError ? e.status : 500;
      sendProblem(res, status, messageOf(e));
    }
  });
  return router;
}
