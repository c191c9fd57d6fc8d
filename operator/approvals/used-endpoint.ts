/**
 * `POST /approvals/used {"name": …}`: a proxy records that a one-shot grant is used, before it runs
 * the statement (and runs it only on this 200; an already Used request is refused with 409). Only the operator
 * writes ApprovalRequest status (admission refuses everyone else), so the proxy asks here, with its
 * own pod-bound token (audience agentgate-proxy, which the agent container never holds). The request
 * must be in the proxy's namespace, asked for by its pod (same uid), and Approved.
 */
import type { CustomObjectsApi } from '@kubernetes/client-node';
import express, { type Request, type Response, type Router } from 'express';
import { APPROVAL_PLURAL, GROUP, VERSION } from '../../shared/contract/api.js';
import { mergePatch, messageOf, statusOf } from '../../shared/kube/client.js';
import { ProxyRequestError, proxyTokenVerifier, type ProxyTokenOptions } from '../identity/proxy-token.js';
import type { EventRecorder } from '../../shared/kube/events.js';
import type { ApprovalRequest } from '../../shared/contract/approval-request.js';
import { sendProblem } from '../webhook/pod-api.js';

export interface ApprovalUsedOptions extends ProxyTokenOptions {
  custom: CustomObjectsApi;
  /** The `Used` Event on the request (kubectl describe apr shows when the grant ran). */
  events?: EventRecorder;
  now?: () => number;
  log?: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
}

export function approvalUsedRouter(o: ApprovalUsedOptions): Router {
  const router = express.Router();
  const authenticate = proxyTokenVerifier(o);
  router.post('/approvals/used', express.json({ limit: '2kb' }), async (req: Request, res: Response) => {
    try {
      const caller = await authenticate(req.get('authorization'));
      const name = (req.body as { name?: unknown } | undefined)?.name;
      if (typeof name !== 'string' || !/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(name))
        throw new ProxyRequestError(400, 'body must be {"name": the ApprovalRequest\'s name}');
      for (let attempt = 0; ; attempt++) {
        let apr: ApprovalRequest;
        try {
          apr = (await o.custom.getNamespacedCustomObject({
            group: GROUP,
            version: VERSION,
            namespace: caller.namespace,
            plural: APPROVAL_PLURAL,
            name,
          })) as ApprovalRequest;
        } catch (e) {
          if (statusOf(e) === 404)
            throw new ProxyRequestError(404, `ApprovalRequest ${caller.namespace}/${name} does not exist`);
          throw e;
        }
        const { pod, podUid } = apr.spec.requester;
        if (podUid !== caller.podUid)
          throw new ProxyRequestError(
            403,
            `ApprovalRequest ${caller.namespace}/${name} was requested from pod ${pod ?? '(unknown)'} (uid ${podUid ?? 'unknown'}), not ${caller.pod}`,
          );
        // A second use is refused, even from the same pod: a restarted sidecar has lost what it used.
        if (apr.status?.phase === 'Used')
          throw new ProxyRequestError(
            409,
            `ApprovalRequest ${caller.namespace}/${name} was already used (at ${apr.status.usedAt ?? 'an unknown time'}); a one-shot grant runs once`,
          );
        if (apr.status?.phase !== 'Approved')
          throw new ProxyRequestError(
            409,
            `ApprovalRequest ${caller.namespace}/${name} is ${apr.status?.phase ?? 'Pending'}, not Approved`,
          );
        try {
          const status = { ...apr.status, phase: 'Used', usedAt: new Date(o.now?.() ?? Date.now()).toISOString() };
          // resourceVersion: a concurrent status change is not overwritten; read again and retry.
          await o.custom.patchNamespacedCustomObjectStatus(
            {
              group: GROUP,
              version: VERSION,
              namespace: caller.namespace,
              plural: APPROVAL_PLURAL,
              name,
              body: { metadata: { resourceVersion: apr.metadata.resourceVersion }, status },
            },
            mergePatch,
          );
          o.log?.('info', 'approval grant used', { namespace: caller.namespace, name, pod: caller.pod });
          await o.events
            ?.emit(
              apr as never,
              'Normal',
              'Used',
              `the approved command was executed by pod ${caller.pod} (one-shot grant used)`,
            )
            .catch(() => undefined);
          return void res.json({ name, phase: 'Used' });
        } catch (e) {
          if (statusOf(e) !== 409 || attempt >= 3) throw e;
        }
      }
    } catch (e) {
      const status = e instanceof ProxyRequestError ? e.status : 500;
      if (status === 500) o.log?.('error', 'recording a used grant failed', { error: messageOf(e) });
      sendProblem(res, status, messageOf(e));
    }
  });
  return router;
}
