/**
 * The admission webhook server (Pepr's shape): express over HTTPS, a body limit, /healthz, and
 * mutation as "change a copy, diff to JSON Patch". Serving certificates can be swapped live.
 */
import type { CustomObjectsApi, V1Pod } from '@kubernetes/client-node';
import { CHANGED_AT, stampPolicyChange } from './policy-change.js';
import express, { type Request, type Response, type Router } from 'express';
import fastJsonPatch from 'fast-json-patch';
import https from 'node:https';
import type { AgentAccessPolicy, ApprovalSpec } from '../../proxy/policy/types.js';
import { admitApprovalCreate, admitApprovalStatus, admitApprovalUpdate, type Admission } from '../approvals/admission.js';
import type { ApprovalRequest } from '../approvals/types.js';
import { GROUP, messageOf, POLICY_PLURAL, statusOf, VERSION } from '../kube.js';
import { injectSidecar, policySelects, wantsInjection, type InjectorConfig } from './inject.js';
import { createRefusals, ephemeralRefusals, stripForgedStatus } from './pod-guard.js';

interface AdmissionReview {
  apiVersion: string;
  kind: 'AdmissionReview';
  request?: {
    uid: string;
    kind: { kind: string };
    namespace?: string;
    operation: string;
    subResource?: string;
    object?: unknown;
    oldObject?: unknown;
    userInfo?: { username?: string; groups?: string[] };
  };
}

type PolicyObject = AgentAccessPolicy & { status?: { conditions?: { type: string; status: string; message?: string }[] } };

export interface WebhookServerOptions {
  custom: CustomObjectsApi;
  injector: InjectorConfig;
  tls: { cert: string; key: string };
  /** The operator's own username (the only one allowed to write ApprovalRequest status). */
  operatorUser?: () => string | undefined;
  /** More endpoints on the same HTTPS server (the token exchange). */
  routers?: Router[];
  log?: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
}

export class WebhookServer {
  private server?: https.Server;

  constructor(private readonly o: WebhookServerOptions) {}

  app(): express.Express {
    const app = express();
    for (const r of this.o.routers ?? []) app.use(r);
    app.get('/healthz', (_req, res) => void res.type('text/plain').send('ok'));
    app.post('/mutate-pods', express.json({ limit: '2mb' }), (req, res) => void this.mutatePods(req, res));
    app.post('/admit-approvals', express.json({ limit: '2mb' }), (req, res) => void this.admitApprovals(req, res));
    app.post('/mutate-policies', express.json({ limit: '2mb' }), (req, res) => void this.mutatePolicies(req, res));
    return app;
  }

  async listen(host: string, port: number): Promise<{ host: string; port: number }> {
    this.server = https.createServer({ cert: this.o.tls.cert, key: this.o.tls.key }, this.app());
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve());
    });
    const a = this.server.address() as { address: string; port: number };
    return { host: a.address, port: a.port };
  }

  /** Rotation: new connections get the new certificate. */
  setCertificate(tls: { cert: string; key: string }): void {
    this.server?.setSecureContext({ cert: tls.cert, key: tls.key });
  }

  close(): Promise<void> {
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private respond(res: Response, review: AdmissionReview, response: Record<string, unknown>): void {
    res.json({ apiVersion: review.apiVersion ?? 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: review.request?.uid, ...response } });
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
      this.o.log?.('warn', 'pod refused', { namespace, pod: (request.object as V1Pod).metadata?.name ?? (request.object as V1Pod).metadata?.generateName, reasons });
      this.respond(res, review, { allowed: false, status: { code: 403, reason: 'Forbidden', message: `agentgate: ${reasons.join('; ')}` } });
    };
    if (request.operation === 'UPDATE' && request.subResource === 'ephemeralcontainers') {
      const reasons = ephemeralRefusals(request.oldObject as V1Pod | undefined, request.object as V1Pod);
      return reasons.length ? refuse(reasons) : this.respond(res, review, { allowed: true });
    }
    if (request.operation !== 'CREATE') return this.respond(res, review, { allowed: true });
    const original = request.object as V1Pod;
    const { pod, warnings } = stripForgedStatus(original);
    const withWarnings = warnings.length ? { warnings } : {};
    const decision = wantsInjection(pod);
    if (!decision.inject) {
      if (pod === original) return this.respond(res, review, { allowed: true });
      const patch = fastJsonPatch.compare(original as object, pod as object);
      return this.respond(res, review, { allowed: true, ...withWarnings, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') });
    }
    try {
      const policy = await this.findPolicy(pod, namespace, decision.policyName);
      if ('refuse' in policy) return refuse([policy.refuse]);
      const reasons = createRefusals(pod, policy);
      if (reasons.length) return refuse(reasons);
      const mutated = injectSidecar(pod, policy, namespace, this.o.injector);
      const patch = fastJsonPatch.compare(original as object, mutated as object);
      this.o.log?.('info', 'sidecar injected', { namespace, pod: pod.metadata?.name ?? pod.metadata?.generateName, policy: policy.metadata.name });
      return this.respond(res, review, { allowed: true, ...withWarnings, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') });
    } catch (e) {
      // failurePolicy: Fail in injection-enabled namespaces: an error refuses the pod, with the reason.
      this.o.log?.('error', 'injection failed', { namespace, error: messageOf(e) });
      return this.respond(res, review, { allowed: false, status: { code: 500, message: `agentgate: injection failed: ${messageOf(e)}` } });
    }
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
      if (request.subResource === 'status') result = admitApprovalStatus(request.userInfo ?? {}, this.o.operatorUser?.());
      else if (request.subResource) result = { allowed: false, message: `subresource ${request.subResource} of an ApprovalRequest cannot be written` };
      else if (request.operation === 'CREATE') result = admitApprovalCreate(obj, request.userInfo ?? {}, this.o.operatorUser?.());
      else if (request.operation === 'UPDATE') {
        const namespace = request.namespace ?? obj.metadata.namespace ?? 'default';
        let approval: ApprovalSpec | undefined;
        try {
          const policy = (await this.o.custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: POLICY_PLURAL, name: obj.spec.policy })) as AgentAccessPolicy;
          approval = policy.spec.approval;
        } catch (e) {
          if (statusOf(e) !== 404) throw e;
        }
        result = admitApprovalUpdate(request.oldObject as ApprovalRequest, obj, request.userInfo ?? {}, approval, Date.now());
      } else result = { allowed: true };
      if (!result.allowed) {
        this.o.log?.('warn', 'approval change refused', { name: obj.metadata.name, user: request.userInfo?.username, reason: result.message });
        return this.respond(res, review, { allowed: false, status: { code: 403, reason: 'Forbidden', message: `agentgate: ${result.message}` } });
      }
      if (!result.mutated) return this.respond(res, review, { allowed: true });
      const patch = fastJsonPatch.compare(obj as object, result.mutated as object);
      this.o.log?.('info', 'approval decision recorded', { name: obj.metadata.name, user: request.userInfo?.username });
      return this.respond(res, review, { allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') });
    } catch (e) {
      return this.respond(res, review, { allowed: false, status: { code: 500, message: `agentgate: cannot check this approval: ${messageOf(e)}` } });
    }
  }

  /** AgentAccessPolicy CREATE/UPDATE: stamps who changed the spec, when, and its hash (policy-change.ts). */
  private mutatePolicies(req: Request, res: Response): void {
    const review = req.body as AdmissionReview;
    const request = review?.request;
    if (!request || request.kind?.kind !== 'AgentAccessPolicy' || !request.object || (request.operation !== 'CREATE' && request.operation !== 'UPDATE')) {
      res.status(400).json({ error: 'expected an AdmissionReview for an AgentAccessPolicy CREATE or UPDATE' });
      return;
    }
    const obj = request.object as PolicyObject;
    const stamped = stampPolicyChange(request.operation, request.oldObject as PolicyObject | undefined, obj, request.userInfo ?? {}, new Date());
    if (!stamped) return this.respond(res, review, { allowed: true });
    if (stamped.metadata.annotations?.[CHANGED_AT] !== obj.metadata.annotations?.[CHANGED_AT]) {
      this.o.log?.('info', 'policy change recorded', { namespace: request.namespace, name: obj.metadata.name, user: request.userInfo?.username, operation: request.operation });
    }
    const patch = fastJsonPatch.compare(obj as object, stamped as object);
    return this.respond(res, review, { allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') });
  }

  private async findPolicy(pod: V1Pod, namespace: string, name?: string): Promise<PolicyObject | { refuse: string }> {
    let policy: PolicyObject | undefined;
    if (name) {
      try {
        policy = (await this.o.custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: POLICY_PLURAL, name })) as PolicyObject;
      } catch (e) {
        if (statusOf(e) === 404) return { refuse: `the pod asks for AgentAccessPolicy "${name}", which does not exist in namespace ${namespace}` };
        throw e;
      }
    } else {
      const list = (await this.o.custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: POLICY_PLURAL })) as { items: PolicyObject[] };
      const matching = list.items.filter((p) => policySelects(p, pod, namespace));
      if (matching.length === 0) return { refuse: `no AgentAccessPolicy in namespace ${namespace} selects this pod (service account "${pod.spec?.serviceAccountName ?? 'default'}"); name one with the agentgate.dev/policy annotation` };
      if (matching.length > 1) return { refuse: `several AgentAccessPolicies select this pod (${matching.map((p) => p.metadata.name).join(', ')}); name one with the agentgate.dev/policy annotation` };
      policy = matching[0]!;
    }
    const ready = policy.status?.conditions?.find((c) => c.type === 'Ready');
    if (ready?.status !== 'True') return { refuse: `AgentAccessPolicy "${policy.metadata.name}" is not Ready${ready?.message ? `: ${ready.message}` : ''}` };
    return policy;
  }
}
