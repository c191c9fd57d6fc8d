/**
 * `POST /approvals`: the only way an ApprovalRequest comes to be. A proxy asks with its own pod-bound
 * token (audience agentgate-proxy, never mounted into the agent's containers); the operator creates
 * the request with its own credentials. Everything that names who and under which rules comes from
 * the authenticated pod: namespace, pod, pod uid, service account, and the policy the injector stamped on it
 * (so the approvers and quorum are that policy's, whatever the body says). From the body only what
 * the proxy verified itself: the statement (masked text shown, sha256 of the exact text), target,
 * rule, the agent's subject and its run. A retry of a statement that is still pending joins the open
 * request; creation is limited per pod (pending requests, and creations per minute).
 */
import type { CoreV1Api, CustomObjectsApi, V1Pod } from '@kubernetes/client-node';
import express, { type Request, type Response, type Router } from 'express';
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';
import { APPROVAL_PLURAL, GROUP, POLICY_PLURAL, VERSION } from '../../shared/contract/api.js';
import { messageOf, statusOf } from '../../shared/kube/client.js';
import {
  ProxyRequestError,
  proxyTokenVerifier,
  type ProxyIdentity,
  type ProxyTokenOptions,
} from '../identity/proxy-token.js';
import { kubernetesUsernamesOf } from '../../shared/identity/trigger-username.js';
import { stampedPolicyOf } from '../identity/injected-pod.js';
import { parseApprovalAsk } from './ask.js';
import { APPROVAL_POD_UID_LABEL, APPROVAL_POLICY_LABEL } from '../../shared/contract/labels.js';
import { phaseOf, type ApprovalAsk, type ApprovalRequest } from '../../shared/contract/approval-request.js';
import { sendProblem } from '../webhook/pod-api.js';

export interface ApprovalCreateOptions extends ProxyTokenOptions {
  custom: CustomObjectsApi;
  core: CoreV1Api;
  /** Open (Pending) requests one pod may have at once (default 5). */
  maxPendingPerPod?: number;
  /** Requests one pod may create per minute (default 20). */
  maxPerMinutePerPod?: number;
  now?: () => number;
  log?: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
}

export function approvalCreateRouter(o: ApprovalCreateOptions): Router {
  const router = express.Router();
  const authenticate = proxyTokenVerifier(o);
  const now = o.now ?? Date.now;
  const maxPending = o.maxPendingPerPod ?? 5;
  const perMinute = o.maxPerMinutePerPod ?? 20;
  const created = new Map<string, number[]>();
  // One request at a time per pod: a retry racing its first attempt joins it instead of doubling it.
  const lanes = new Map<string, Promise<unknown>>();
  const serially = <T>(key: string, f: () => Promise<T>): Promise<T> => {
    const next = (lanes.get(key) ?? Promise.resolve()).then(f, f);
    const tail = next.catch(() => undefined);
    lanes.set(key, tail);
    void tail.then(() => lanes.get(key) === tail && lanes.delete(key));
    return next;
  };

  const create = async (
    caller: ProxyIdentity,
    ask: ApprovalAsk,
  ): Promise<{ name: string; namespace: string; podUid: string; joined: boolean }> => {
    const pod = await o.core.readNamespacedPod({ name: caller.pod, namespace: caller.namespace });
    if (pod.metadata?.uid !== caller.podUid)
      throw new ProxyRequestError(403, `pod ${caller.namespace}/${caller.pod} is not the one the token was issued to`);
    const policyName = policyOfPod(pod, caller.namespace);
    let policy: AgentAccessPolicy;
    try {
      policy = (await o.custom.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: caller.namespace,
        plural: POLICY_PLURAL,
        name: policyName,
      })) as AgentAccessPolicy;
    } catch (e) {
      if (statusOf(e) === 404)
        throw new ProxyRequestError(
          409,
          `policy ${caller.namespace}/${policyName}, which pod ${caller.pod} follows, does not exist`,
        );
      throw e;
    }
    if (!policy.spec.targets.some((t) => t.name === ask.target))
      throw new ProxyRequestError(400, `policy ${policyName} has no target ${ask.target}`);
    const t = now();
    const labelSelector = `${APPROVAL_POD_UID_LABEL}=${caller.podUid}`;
    const mine = (
      (await o.custom.listNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: caller.namespace,
        plural: APPROVAL_PLURAL,
        labelSelector,
      })) as { items: ApprovalRequest[] }
    ).items;
    const required = policy.spec.approval?.requiredApprovals ?? 1;
    const open = mine.filter(
      (a) => phaseOf(a, required, t) === 'Pending' && (a.status?.phase ?? 'Pending') === 'Pending',
    );
    const same = open.find(
      (a) =>
        a.spec.policy === policyName &&
        a.spec.target === ask.target &&
        a.spec.rule === ask.rule &&
        a.spec.command.sha256 === ask.command.sha256 &&
        a.spec.command.text === ask.command.text &&
        a.spec.requester.subject === ask.requester.subject &&
        a.spec.requester.runId === ask.requester.runId,
    );
    if (same) return { name: same.metadata.name!, namespace: caller.namespace, podUid: caller.podUid, joined: true };
    if (open.length >= maxPending)
      throw new ProxyRequestError(
        429,
        `pod ${caller.pod} already has ${open.length} pending approval requests (at most ${maxPending}); wait for them to be decided or to expire`,
      );
    const recent = (created.get(caller.podUid) ?? []).filter((x) => x > t - 60_000);
    if (recent.length >= perMinute)
      throw new ProxyRequestError(
        429,
        `pod ${caller.pod} created ${recent.length} approval requests in the last minute (at most ${perMinute})`,
      );
    const body: ApprovalRequest = {
      apiVersion: 'agentgate.dev/v1alpha1',
      kind: 'ApprovalRequest',
      metadata: {
        generateName: `${policyName}-`,
        namespace: caller.namespace,
        labels: { [APPROVAL_POLICY_LABEL]: policyName, [APPROVAL_POD_UID_LABEL]: caller.podUid },
      },
      spec: {
        policy: policyName,
        rule: ask.rule,
        requester: {
          ...ask.requester,
          ...triggererUsernames(ask, policy),
          serviceAccount: `${caller.namespace}/${caller.serviceAccount}`,
          pod: caller.pod,
          podUid: caller.podUid,
        },
        target: ask.target,
        command: ask.command,
        ...(ask.reason ? { reason: ask.reason } : {}),
        expiresAt: new Date(t + (policy.spec.approval?.timeoutSeconds ?? 300) * 1000).toISOString(),
      },
    };
    const apr = (await o.custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: caller.namespace,
      plural: APPROVAL_PLURAL,
      body,
    })) as ApprovalRequest;
    created.set(caller.podUid, [...recent, t]);
    for (const [uid, times] of created) if (times.at(-1)! <= t - 60_000) created.delete(uid);
    o.log?.('info', 'approval requested', {
      namespace: caller.namespace,
      name: apr.metadata.name,
      pod: caller.pod,
      policy: policyName,
    });
    return { name: apr.metadata.name!, namespace: caller.namespace, podUid: caller.podUid, joined: false };
  };

  router.post('/approvals', express.json({ limit: '160kb' }), async (req: Request, res: Response) => {
    try {
      const caller = await authenticate(req.get('authorization'));
      const ask = parseApprovalAsk(req.body);
      res.json(await serially(caller.podUid, () => create(caller, ask)));
    } catch (e) {
      const status = e instanceof ProxyRequestError ? e.status : statusOf(e) === 422 ? 400 : 500;
      if (status === 500) o.log?.('error', 'creating an approval request failed', { error: messageOf(e) });
      sendProblem(res, status, messageOf(e));
    }
  });
  return router;
}

/**
 * The Kubernetes usernames of the person who triggered the run (admission refuses their decisions):
 * the policy's stated mapping for their issuer and the API server's default `<issuer>#<sub>`.
 */
function triggererUsernames(ask: ApprovalAsk, policy: AgentAccessPolicy): { triggeredByUsernames?: string[] } {
  const { triggeredBy: sub, triggeredByIssuer: iss, triggeredByEmail: email } = ask.requester;
  if (!sub || !iss) return {};
  return {
    triggeredByUsernames: kubernetesUsernamesOf(
      { iss, sub, ...(email ? { email } : {}) },
      policy.spec.identity.triggerIssuers,
    ),
  };
}

/** The policy the injector stamped on the pod at admission (never a container's name or args, which its author writes). */
export function policyOfPod(pod: V1Pod, namespace: string): string {
  const name = stampedPolicyOf(pod, namespace);
  if (!name)
    throw new ProxyRequestError(
      403,
      `pod ${namespace}/${pod.metadata?.name} runs no agentgate proxy for a policy of its namespace`,
    );
  return name;
}
