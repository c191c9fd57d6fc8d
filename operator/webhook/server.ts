/**
 * The admission webhook server (Pepr's shape): express over HTTPS, a body limit, and mutation as
 * "change a copy, diff to JSON Patch". It serves the admission paths only, on a listener of its own
 * that only the API server is told about (pods reach the operator on its pod-facing listener,
 * pod-api.ts); with a client CA it answers only callers presenting a certificate that CA signed.
 * Serving certificates can be swapped live.
 */
import type { CustomObjectsApi, V1Pod } from '@kubernetes/client-node';
import { CHANGED_AT } from '../../shared/contract/labels.js';
import { stampPolicyChange } from './policy-change.js';
import express, { type Request, type Response } from 'express';
import fastJsonPatch from 'fast-json-patch';
import type { AgentAccessPolicy, ApprovalSpec } from '../../shared/contract/policy-types.js';
import {
  admitApprovalCreate,
  admitApprovalStatus,
  admitApprovalUpdate,
  type Admission,
} from '../approvals/admission.js';
import type { ApprovalRequest } from '../../shared/contract/approval-request.js';
import { GROUP, POLICY_PLURAL, VERSION } from '../../shared/contract/api.js';
import { messageOf, statusOf } from '../../shared/kube/client.js';
import { admitReviewCreate, admitReviewStatus, admitReviewUpdate, type ReviewersSpec } from '../reviews/admission.js';
import type { DeviationReview } from '../reviews/types.js';
import { injectSidecar, policySelects, wantsInjection, type InjectorConfig } from './inject.js';
import {
  createRefusals,
  credentialSecrets,
  ephemeralRefusals,
  podRefusals,
  stripForgedStatus,
  updateRefusals,
} from './pod-guard.js';
import { genuineReview } from './admission-review.js';
import { TlsListener } from './tls-listener.js';

import type { AdmissionReview } from './admission-review.js';

type PolicyObject = AgentAccessPolicy & {
  status?: { conditions?: { type: string; status: string; message?: string }[] };
};

export interface WebhookServerOptions {
  custom: CustomObjectsApi;
  injector: InjectorConfig;
  tls: { cert: string; key: string };
  /** PEM: answer only callers presenting a client certificate this CA signed (the API server's, from its admission configuration). */
  clientCa?: string;
  /** The operator's own username (the only one allowed to write ApprovalRequest status). */
  operatorUser?: () => string | undefined;
  log?: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
}

/** The admission paths, each with the kind of object the API server sends it. */
export const ADMISSION_PATHS = {
  '/mutate-pods': 'Pod',
  '/admit-approvals': 'ApprovalRequest',
  '/mutate-policies': 'AgentAccessPolicy',
  '/admit-reviews': 'DeviationReview',
} as const;

export class WebhookServer {
  private readonly listener: TlsListener;

  constructor(private readonly o: WebhookServerOptions) {
    this.listener = new TlsListener({ tls: o.tls, ...(o.clientCa ? { clientCa: o.clientCa } : {}) }, this.app());
  }

  app(): express.Express {
    const app = express();
    app.disable('x-powered-by');
    const review = express.json({ limit: '2mb' });
    // Anything that is not an AdmissionReview of the path's kind, as the API server sends it, is refused unread.
    const genuine =
      (kind: string): express.RequestHandler =>
      (req, res, next) => {
        const problem = genuineReview(req.body, kind);
        if (problem) return void res.status(400).json({ error: problem });
        next();
      };
    app.post(
      '/mutate-pods',
      review,
      genuine(ADMISSION_PATHS['/mutate-pods']),
      (req, res) => void this.mutatePods(req, res),
    );
    app.post(
      '/admit-approvals',
      review,
      genuine(ADMISSION_PATHS['/admit-approvals']),
      (req, res) => void this.admitApprovals(req, res),
    );
    app.post(
      '/mutate-policies',
      review,
      genuine(ADMISSION_PATHS['/mutate-policies']),
      (req, res) => void this.mutatePolicies(req, res),
    );
    app.post(
      '/admit-reviews',
      review,
      genuine(ADMISSION_PATHS['/admit-reviews']),
      (req, res) => void this.admitReviews(req, res),
    );
    return app;
  }

  listen(host: string, port: number): Promise<{ host: string; port: number }> {
    return this.listener.listen(host, port);
  }

  /** Rotation: new connections get the new certificate. */
  setCertificate(tls: { cert: string; key: string }): void {
    this.listener.setCertificate(tls);
  }

  close(): Promise<void> {
    return this.listener.close();
  }

  private respond(res: Response, review: AdmissionReview, response: Record<string, unknown>): void {
    res.json({
      apiVersion: review.apiVersion ?? 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: review.request?.uid, ...response },
    });
  }

  private async mutatePods(req: Request, res: Response): Promise<void> {
    const review = req.body as AdmissionReview;
    const request = review?.request;
    if (!request || request.kind?.kind !== 'Pod' || !request.object) {
      res.status(400).json({ error: 'expected an AdmissionReview for a Pod' });
      return;
    }
    const namespace = request.namespace ?? (request.object as V1Pod).metadata?.namespace ?? 'default';
    const refuse = (reasons: string[]): void => {
      this.o.log?.('warn', 'pod refused', {
        namespace,
        pod: (request.object as V1Pod).metadata?.name ?? (request.object as V1Pod).metadata?.generateName,
        reasons,
      });
      this.respond(res, review, {
        allowed: false,
        status: { code: 403, reason: 'Forbidden', message: `agentgate: ${reasons.join('; ')}` },
      });
    };
    try {
      if (request.operation === 'UPDATE' && request.subResource === 'ephemeralcontainers') {
        const credentials = credentialSecrets(await this.namespacePolicies(namespace));
        const reasons = ephemeralRefusals(request.oldObject as V1Pod | undefined, request.object as V1Pod, credentials);
        return reasons.length ? refuse(reasons) : this.respond(res, review, { allowed: true });
      }
      if (request.operation === 'UPDATE' && !request.subResource) {
        if (!request.oldObject) return refuse(['a pod UPDATE without the old object cannot be checked']);
        const reasons = updateRefusals(request.oldObject as V1Pod, request.object as V1Pod);
        return reasons.length ? refuse(reasons) : this.respond(res, review, { allowed: true });
      }
      if (request.operation !== 'CREATE') return this.respond(res, review, { allowed: true });
      const original = request.object as V1Pod;
      const { pod, warnings } = stripForgedStatus(original);
      const withWarnings = warnings.length ? { warnings } : {};
      // Every policy of the namespace: no pod of it, opted in or not, may hold any target's credentials.
      const policies = await this.namespacePolicies(namespace);
      const decision = wantsInjection(pod);
      if (!decision.inject) {
        const reasons = podRefusals(pod, credentialSecrets(policies));
        if (reasons.length) return refuse(reasons);
        if (pod === original) return this.respond(res, review, { allowed: true });
        const patch = fastJsonPatch.compare(original as object, pod as object);
        return this.respond(res, review, {
          allowed: true,
          ...withWarnings,
          patchType: 'JSONPatch',
          patch: Buffer.from(JSON.stringify(patch)).toString('base64'),
        });
      }
      const policy = await this.findPolicy(pod, namespace, decision.policyName, policies);
      if ('refuse' in policy) return refuse([policy.refuse]);
      const reasons = createRefusals(pod, policy, policies);
      if (reasons.length) return refuse(reasons);
      const mutated = injectSidecar(pod, policy, namespace, this.o.injector);
      const patch = fastJsonPatch.compare(original as object, mutated as object);
      this.o.log?.('info', 'sidecar injected', {
        namespace,
        pod: pod.metadata?.name ?? pod.metadata?.generateName,
        policy: policy.metadata.name,
      });
      return this.respond(res, review, {
        allowed: true,
        ...withWarnings,
        patchType: 'JSONPatch',
        patch: Buffer.from(JSON.stringify(patch)).toString('base64'),
      });
    } catch (e) {
      // failurePolicy: Fail in injection-enabled namespaces: an error refuses the pod, with the reason.
      this.o.log?.('error', 'pod admission failed', { namespace, error: messageOf(e) });
      return this.respond(res, review, {
        allowed: false,
        status: { code: 500, message: `agentgate: cannot check this pod: ${messageOf(e)}` },
      });
    }
  }

  /** The namespace's policies, read fresh (an error refuses the pod: fail closed). */
  private async namespacePolicies(namespace: string): Promise<PolicyObject[]> {
    return (
      (await this.o.custom.listNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: POLICY_PLURAL,
      })) as { items: PolicyObject[] }
    ).items;
  }

  /** ApprovalRequest CREATE/UPDATE (and status): stamps who decided, refuses what must not happen (admission.ts). */
  private async admitApprovals(req: Request, res: Response): Promise<void> {
    const review = req.body as AdmissionReview;
    const request = review?.request;
    if (!request || request.kind?.kind !== 'ApprovalRequest' || !request.object) {
      res.status(400).json({ error: 'expected an AdmissionReview for an ApprovalRequest' });
      return;
    }
    const obj = request.object as ApprovalRequest;
    try {
      let result: Admission;
      if (request.subResource === 'status')
        result = admitApprovalStatus(request.userInfo ?? {}, this.o.operatorUser?.());
      else if (request.subResource)
        result = {
          allowed: false,
          message: `subresource ${request.subResource} of an ApprovalRequest cannot be written`,
        };
      else if (request.operation === 'CREATE')
        result = admitApprovalCreate(obj, request.userInfo ?? {}, this.o.operatorUser?.());
      else if (request.operation === 'UPDATE') {
        const namespace = request.namespace ?? obj.metadata.namespace ?? 'default';
        let approval: ApprovalSpec | undefined;
        try {
          const policy = (await this.o.custom.getNamespacedCustomObject({
            group: GROUP,
            version: VERSION,
            namespace,
            plural: POLICY_PLURAL,
            name: obj.spec.policy,
          })) as AgentAccessPolicy;
          approval = policy.spec.approval;
        } catch (e) {
          if (statusOf(e) !== 404) throw e;
        }
        result = admitApprovalUpdate(
          request.oldObject as ApprovalRequest,
          obj,
          request.userInfo ?? {},
          approval,
          Date.now(),
        );
      } else result = { allowed: true };
      if (!result.allowed) {
        this.o.log?.('warn', 'approval change refused', {
          name: obj.metadata.name,
          user: request.userInfo?.username,
          reason: result.message,
        });
        return this.respond(res, review, {
          allowed: false,
          status: { code: 403, reason: 'Forbidden', message: `agentgate: ${result.message}` },
        });
      }
      if (!result.mutated) return this.respond(res, review, { allowed: true });
      const patch = fastJsonPatch.compare(obj as object, result.mutated as object);
      this.o.log?.('info', 'approval decision recorded', { name: obj.metadata.name, user: request.userInfo?.username });
      return this.respond(res, review, {
        allowed: true,
        patchType: 'JSONPatch',
        patch: Buffer.from(JSON.stringify(patch)).toString('base64'),
      });
    } catch (e) {
      return this.respond(res, review, {
        allowed: false,
        status: { code: 500, message: `agentgate: cannot check this approval: ${messageOf(e)}` },
      });
    }
  }

  /** DeviationReview CREATE/UPDATE (and status): stamps who reviewed, refuses what must not happen (reviews/admission.ts). */
  private async admitReviews(req: Request, res: Response): Promise<void> {
    const review = req.body as AdmissionReview;
    const request = review.request!;
    const obj = request.object as DeviationReview;
    const user = request.userInfo ?? {};
    try {
      let result;
      if (request.subResource === 'status') result = admitReviewStatus(user, this.o.operatorUser?.());
      else if (request.subResource)
        result = {
          allowed: false as const,
          message: `subresource ${request.subResource} of a DeviationReview cannot be written`,
        };
      else if (request.operation === 'CREATE') result = admitReviewCreate(obj, user, this.o.operatorUser?.());
      else if (request.operation === 'UPDATE') {
        const namespace = request.namespace ?? obj.metadata.namespace ?? 'default';
        let reviewers: ReviewersSpec | undefined;
        try {
          // The policy named when the item was created (the old object's: the new one's cannot differ).
          const oldObj = request.oldObject as DeviationReview;
          const policy = (await this.o.custom.getNamespacedCustomObject({
            group: GROUP,
            version: VERSION,
            namespace,
            plural: POLICY_PLURAL,
            name: oldObj.spec.policyRef.name,
          })) as AgentAccessPolicy;
          reviewers = policy.spec.review?.reviewers;
        } catch (e) {
          if (statusOf(e) !== 404) throw e;
        }
        result = admitReviewUpdate(request.oldObject as DeviationReview, obj, user, reviewers, Date.now());
      } else result = { allowed: true as const };
      if (!result.allowed) {
        this.o.log?.('warn', 'review change refused', {
          namespace: request.namespace,
          name: obj.metadata.name,
          user: user.username,
          reason: result.message,
        });
        return this.respond(res, review, {
          allowed: false,
          status: { code: 403, reason: 'Forbidden', message: `agentgate: ${result.message}` },
        });
      }
      if (!result.mutated) return this.respond(res, review, { allowed: true });
      const patch = fastJsonPatch.compare(obj as object, result.mutated as object);
      this.o.log?.('info', 'review decision recorded', {
        namespace: request.namespace,
        name: obj.metadata.name,
        user: user.username,
        state: result.mutated.spec.decision?.state,
      });
      return this.respond(res, review, {
        allowed: true,
        patchType: 'JSONPatch',
        patch: Buffer.from(JSON.stringify(patch)).toString('base64'),
      });
    } catch (e) {
      return this.respond(res, review, {
        allowed: false,
        status: { code: 500, message: `agentgate: cannot check this review: ${messageOf(e)}` },
      });
    }
  }

  /** AgentAccessPolicy CREATE/UPDATE: stamps who changed the spec, when, and its hash (policy-change.ts). */
  private mutatePolicies(req: Request, res: Response): void {
    const review = req.body as AdmissionReview;
    const request = review?.request;
    if (
      !request ||
      request.kind?.kind !== 'AgentAccessPolicy' ||
      !request.object ||
      (request.operation !== 'CREATE' && request.operation !== 'UPDATE')
    ) {
      res.status(400).json({ error: 'expected an AdmissionReview for an AgentAccessPolicy CREATE or UPDATE' });
      return;
    }
    const obj = request.object as PolicyObject;
    const stamped = stampPolicyChange(
      request.operation,
      request.oldObject as PolicyObject | undefined,
      obj,
      request.userInfo ?? {},
      new Date(),
    );
    if (!stamped) return this.respond(res, review, { allowed: true });
    if (stamped.metadata.annotations?.[CHANGED_AT] !== obj.metadata.annotations?.[CHANGED_AT]) {
      this.o.log?.('info', 'policy change recorded', {
        namespace: request.namespace,
        name: obj.metadata.name,
        user: request.userInfo?.username,
        operation: request.operation,
      });
    }
    const patch = fastJsonPatch.compare(obj as object, stamped as object);
    return this.respond(res, review, {
      allowed: true,
      patchType: 'JSONPatch',
      patch: Buffer.from(JSON.stringify(patch)).toString('base64'),
    });
  }

  private async findPolicy(
    pod: V1Pod,
    namespace: string,
    name: string | undefined,
    policies: PolicyObject[],
  ): Promise<PolicyObject | { refuse: string }> {
    let policy: PolicyObject | undefined;
    if (name) {
      try {
        policy = (await this.o.custom.getNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace,
          plural: POLICY_PLURAL,
          name,
        })) as PolicyObject;
      } catch (e) {
        if (statusOf(e) === 404)
          return {
            refuse: `the pod asks for AgentAccessPolicy "${name}", which does not exist in namespace ${namespace}`,
          };
        throw e;
      }
    } else {
      const matching = policies.filter((p) => policySelects(p, pod, namespace));
      if (matching.length === 0)
        return {
          refuse: `no AgentAccessPolicy in namespace ${namespace} selects this pod (service account "${pod.spec?.serviceAccountName ?? 'default'}"); name one with the agentgate.dev/policy annotation`,
        };
      if (matching.length > 1)
        return {
          refuse: `several AgentAccessPolicies select this pod (${matching.map((p) => p.metadata.name).join(', ')}); name one with the agentgate.dev/policy annotation`,
        };
      policy = matching[0]!;
    }
    const ready = policy.status?.conditions?.find((c) => c.type === 'Ready');
    if (ready?.status !== 'True')
      return {
        refuse: `AgentAccessPolicy "${policy.metadata.name}" is not Ready${ready?.message ? `: ${ready.message}` : ''}`,
      };
    return policy;
  }
}
