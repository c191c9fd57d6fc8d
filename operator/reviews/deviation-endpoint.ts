/**
 * `POST /deviations`: how a proxy reports its deviations (denials, refused identities, expired or
 * denied approvals, caps hit, audit failures) for review. The proxy asks with its own pod-bound token
 * (audience agentgate-proxy, never in the agent's containers); the agent, its namespace and its policy
 * come from the authenticated pod, never from the body. Each deviation is counted into the review item
 * for (policy, service account, kind, rule, UTC day), created on first use, and becomes an Event on the
 * pod, emitted by the operator (the agent's service account, which the proxy shares, writes nothing).
 */
import type { CustomObjectsApi } from '@kubernetes/client-node';
import express, { type Request, type Response, type Router } from 'express';
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';
import { kubernetesUsernamesOf } from '../../shared/identity/trigger-username.js';
import type { EventRecorder } from '../../shared/kube/events.js';
import { messageOf, statusOf } from '../../shared/kube/client.js';
import { GROUP, POLICY_PLURAL, VERSION } from '../../shared/contract/api.js';
import {
  ProxyRequestError,
  proxyTokenVerifier,
  type ProxyIdentity,
  type ProxyTokenOptions,
} from '../identity/proxy-token.js';
import type { GroupedDeviation } from './grouping.js';
import { fileDeviations } from './file-deviations.js';
import { reviewName, utcDay, type ReviewKey } from './naming.js';
import { parseDeviationReports } from './report.js';
import type { DeviationKind, DeviationReport } from './types.js';
import { sendProblem } from '../webhook/pod-api.js';

export interface DeviationEndpointOptions extends ProxyTokenOptions {
  custom: CustomObjectsApi;
  events?: EventRecorder;
  metrics?: { deviationsReported(namespace: string, kind: DeviationKind, n: number): void };
  now?: () => number;
  log?: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
}

/** The Event on the pod for a deviation (the reasons the sidecar used when it emitted them itself). */
export function deviationEvent(kind: DeviationKind, rule: string): { reason: string; what: string } {
  switch (kind) {
    case 'Denial':
      return rule === 'session-invariant'
        ? { reason: 'SessionInvariantViolated', what: 'a pinned setting changed; session closed' }
        : { reason: 'StatementDenied', what: `denied by rule "${rule}"` };
    case 'IdentityRefused':
      return { reason: 'IdentityRejected', what: `a token was refused (${rule})` };
    case 'ApprovalExpired':
      return { reason: 'ApprovalExpired', what: `an approval request of rule "${rule}" expired` };
    case 'ApprovalDenied':
      return { reason: 'ApprovalDenied', what: `an approval request of rule "${rule}" was denied` };
    case 'CapExceeded':
      return { reason: 'RuntimeLimitExceeded', what: `${rule} exceeded` };
    case 'AuditFailure':
      return rule === 'witness-checkpoint'
        ? { reason: 'AuditCheckpointFailed', what: 'the witness did not sign the audit chain head' }
        : { reason: 'AuditFailure', what: `audit failure (${rule})` };
  }
}

export function deviationRouter(o: DeviationEndpointOptions): Router {
  const router = express.Router();
  const authenticate = proxyTokenVerifier(o);
  const now = o.now ?? Date.now;
  // One writer per item in this process (replicas and retries are kept apart by resourceVersion).
  const lanes = new Map<string, Promise<unknown>>();
  const serially = <T>(key: string, f: () => Promise<T>): Promise<T> => {
    const next = (lanes.get(key) ?? Promise.resolve()).then(f, f);
    const tail = next.catch(() => undefined);
    lanes.set(key, tail);
    void tail.then(() => lanes.get(key) === tail && lanes.delete(key));
    return next;
  };

  const record = async (
    caller: ProxyIdentity,
    reports: DeviationReport[],
  ): Promise<{ auditHash?: string; review: string }[]> => {
    let policy: AgentAccessPolicy | undefined;
    try {
      policy = (await o.custom.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: caller.namespace,
        plural: POLICY_PLURAL,
        name: caller.policy,
      })) as AgentAccessPolicy;
    } catch (e) {
      // A deleted policy's proxy refuses everything: those refusals are deviations too.
      if (statusOf(e) !== 404) throw e;
    }
    const t = now();
    const groups = new Map<string, { key: ReviewKey; entries: GroupedDeviation[] }>();
    const results: { auditHash?: string; review: string }[] = [];
    for (const r of reports) {
      // A proxy's clock ahead of ours cannot file a deviation under a later day.
      const time = Date.parse(r.time) > t + 300_000 ? new Date(t).toISOString() : r.time;
      const key = {
        policy: caller.policy,
        serviceAccount: caller.serviceAccount,
        kind: r.kind,
        rule: r.rule,
        day: utcDay(time),
      };
      const name = reviewName(key);
      const person = r.triggeredBy;
      const usernames = person
        ? kubernetesUsernamesOf(
            { iss: person.iss, sub: person.sub, ...(person.email ? { email: person.email } : {}) },
            policy?.spec.identity.triggerIssuers,
          )
        : [];
      const entry = {
        time,
        ...(r.auditHash ? { auditHash: r.auditHash } : {}),
        ...(r.session ? { session: r.session } : {}),
        pod: caller.pod,
        ...(r.statement ? { statement: r.statement } : {}),
        ...(r.reason ? { reason: r.reason } : {}),
        ...(usernames.length ? { triggeredBy: usernames.at(-1)! } : {}),
      };
      const g = groups.get(name) ?? { key, entries: [] };
      g.entries.push({
        entry,
        triggerers: person ? [...usernames, person.sub, ...(person.email ? [person.email] : [])] : [],
      });
      groups.set(name, g);
      results.push({ ...(r.auditHash ? { auditHash: r.auditHash } : {}), review: name });
    }
    // The item a group was filed into (a follow-up when the first one was already decided).
    const filed = new Map<string, string>();
    for (const [name, g] of groups)
      filed.set(
        name,
        await serially(`${caller.namespace}/${name}`, () =>
          fileDeviations(o.custom, caller.namespace, g.key, g.entries, o.log),
        ),
      );
    for (const [i, r] of reports.entries()) {
      o.metrics?.deviationsReported(caller.namespace, r.kind, 1);
      const review = filed.get(results[i]!.review) ?? results[i]!.review;
      results[i]!.review = review;
      // No statement text in the Event: one series per agent, kind and rule however the agent loops.
      const pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: caller.pod, namespace: caller.namespace, uid: caller.podUid },
      };
      const { reason, what } = deviationEvent(r.kind, r.rule);
      void o.events
        ?.emit(pod, 'Warning', reason, `${caller.serviceAccount}: ${what}; for review in DeviationReview ${review}`)
        .catch(() => undefined);
    }
    return results;
  };

  router.post('/deviations', express.json({ limit: '1mb' }), async (req: Request, res: Response) => {
    try {
      const caller = await authenticate(req.get('authorization'));
      const reports = parseDeviationReports(req.body);
      res.json({ recorded: await record(caller, reports) });
    } catch (e) {
      const status = e instanceof ProxyRequestError ? e.status : statusOf(e) === 422 ? 400 : 500;
      if (status === 500) o.log?.('error', 'recording deviations failed', { error: messageOf(e) });
      sendProblem(res, status, messageOf(e));
    }
  });
  return router;
}
