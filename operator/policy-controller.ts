/**
 * Reconciles AgentAccessPolicy objects, level-triggered and keyed by namespace/name: validates what the
 * schema cannot (RE2 patterns, uniqueness, referenced Secrets), writes status (Ready with
 * observedGeneration, counts), emits Events, and compiles a valid policy into a ConfigMap owned by
 * the policy. An invalid change leaves the last valid ConfigMap in place. The ConfigMap is a copy
 * (proxies enforce what the policy object and its status say, shared/contract/compiled-policy.ts): it is
 * watched too, and any change the operator did not make is repaired at once and reported as a
 * CompiledPolicyTampered Event.
 */
import { type CoreV1Api, type CustomObjectsApi, type KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { PolicyValidationError, validatePolicy } from '../shared/contract/validate-policy.js';
import type { AgentAccessPolicy } from '../shared/contract/policy-types.js';
import { compiledDocument, compiledMismatch } from '../shared/contract/compiled-policy.js';
import { EventRecorder } from '../shared/kube/events.js';
import { CHANGED_AT, CHANGED_BY, SPEC_SHA256 } from '../shared/contract/labels.js';
import { specSha256 } from '../shared/contract/spec-sha256.js';
import { tamperedBy } from '../shared/kube/tampered-by.js';
import { PatchStrategy, setHeaderOptions, type V1ConfigMapList } from '@kubernetes/client-node';
import { applyPatch, mergePatch, messageOf, statusOf } from '../shared/kube/client.js';
import { FIELD_MANAGER, GROUP, POLICY_PLURAL, policyConfigMapName, VERSION } from '../shared/contract/api.js';
import { ResilientInformer } from '../shared/kube/resilient-informer.js';
import { WorkQueue, type Clock } from '../shared/kube/workqueue.js';
import { OPERATOR_CA_KEY, POLICY_KEY } from '../shared/contract/api.js';
import { POLICY_GENERATION_ANNOTATION, POLICY_LABEL } from '../shared/contract/labels.js';
import {
  TOOL_DEFINITIONS_CONDITION,
  toolDefinitionsState,
  type ToolBaseline,
  type ToolDefinitionChange,
} from '../shared/contract/tool-definitions.js';
import { mergeCondition, type PolicyCondition } from './policy-conditions.js';

const jsonPatch = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);

type PolicyObject = AgentAccessPolicy & {
  metadata: { uid?: string; generation?: number; resourceVersion?: string };
  status?: PolicyStatus;
};

type Condition = PolicyCondition;

/** One spec change, as the change-management record keeps it (newest last, at most HISTORY_LIMIT). */
export interface PolicyChange {
  generation: number;
  specSha256: string;
  /** Who changed the spec, as the admission webhook stamped it; absent when the stamp does not match this spec. */
  changedBy?: string;
  changedAt?: string;
  outcome: 'Compiled' | 'Invalid';
  observedAt: string;
}

const HISTORY_LIMIT = 20;

interface PolicyStatus {
  observedGeneration?: number;
  /** The operator's run-token issuer: proxies take it from here (status is the operator's alone), never from the ConfigMap. */
  runTokenIssuer?: string;
  targetCount?: number;
  ruleCount?: number;
  conditions?: Condition[];
  history?: PolicyChange[];
  /** Rug pulls the sidecars reported and the spec does not accept yet (operator/tool-definition-status.ts). */
  toolDefinitionChanges?: ToolDefinitionChange[];
  /** First-seen tool fingerprints the sidecars reported (operator/tool-baseline-status.ts), kept as they are. */
  toolDefinitionBaselines?: ToolBaseline[];
}

export interface PolicyControllerMetrics {
  reconciled(result: 'ready' | 'invalid' | 'error' | 'deleted', seconds: number): void;
  informerRestart(): void;
}

export interface PolicyControllerOptions {
  kc: KubeConfig;
  custom: CustomObjectsApi;
  core: CoreV1Api;
  events: EventRecorder;
  /** Watch one namespace, or all when undefined. */
  namespace?: string;
  clock?: Clock;
  metrics?: PolicyControllerMetrics;
  log?: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
  relistMs?: number;
  /** The operator's CA (PEM): compiled ConfigMaps carry it for the pods the webhook injects. */
  operatorCa?: string;
  /** The operator's run-token issuer: compiled policies name it, so proxies accept run tokens from it alone. */
  runTokenIssuer?: string;
}

export class PolicyController {
  readonly informer: ResilientInformer<PolicyObject>;
  /** The compiled ConfigMaps: a change the operator did not make is repaired at once. */
  readonly compiled: ResilientInformer<V1ConfigMap>;
  private readonly queue: WorkQueue;
  private readonly now: () => number;

  constructor(private readonly o: PolicyControllerOptions) {
    this.now = o.clock?.now ?? Date.now;
    const path = o.namespace
      ? `/apis/${GROUP}/${VERSION}/namespaces/${o.namespace}/${POLICY_PLURAL}`
      : `/apis/${GROUP}/${VERSION}/${POLICY_PLURAL}`;
    this.informer = new ResilientInformer<PolicyObject>({
      kc: o.kc,
      path,
      list: () =>
        (o.namespace
          ? o.custom.listNamespacedCustomObject({
              group: GROUP,
              version: VERSION,
              namespace: o.namespace,
              plural: POLICY_PLURAL,
            })
          : o.custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: POLICY_PLURAL })) as never,
      ...(o.clock ? { clock: o.clock } : {}),
      ...(o.relistMs ? { relistMs: o.relistMs } : {}),
      onRestart: (reason, delay) => {
        o.metrics?.informerRestart();
        o.log?.('warn', 'policy informer restarting', { reason, delayMs: delay });
      },
    });
    this.queue = new WorkQueue((key) => this.reconcile(key), {
      ...(o.clock ? { clock: o.clock } : {}),
      onError: (key, e, retry) => o.log?.('error', 'reconcile failed', { key, error: messageOf(e), retryInMs: retry }),
    });
    const enqueue = (p: PolicyObject): void => this.queue.add(`${p.metadata.namespace}/${p.metadata.name}`);
    this.informer.on('add', enqueue);
    this.informer.on('update', enqueue);
    this.informer.on('delete', enqueue);
    // After every (re)list, reconcile everything: nothing missed while the watch was down stays missed.
    this.informer.onSync(() => {
      this.informer.list().forEach(enqueue);
      void this.collectOrphans();
    });
    this.compiled = new ResilientInformer<V1ConfigMap>({
      kc: o.kc,
      path: o.namespace ? `/api/v1/namespaces/${o.namespace}/configmaps` : '/api/v1/configmaps',
      labelSelector: POLICY_LABEL,
      list: () =>
        (o.namespace
          ? o.core.listNamespacedConfigMap({ namespace: o.namespace, labelSelector: POLICY_LABEL })
          : o.core.listConfigMapForAllNamespaces({ labelSelector: POLICY_LABEL })) as Promise<V1ConfigMapList>,
      ...(o.clock ? { clock: o.clock } : {}),
      ...(o.relistMs ? { relistMs: o.relistMs } : {}),
      onRestart: (reason, delay) => {
        o.metrics?.informerRestart();
        o.log?.('warn', 'compiled ConfigMap informer restarting', { reason, delayMs: delay });
      },
    });
    const enqueueOwner = (cm: V1ConfigMap): void => {
      const policy = cm.metadata?.labels?.[POLICY_LABEL];
      if (policy && cm.metadata?.name === policyConfigMapName(policy))
        this.queue.add(`${cm.metadata.namespace}/${policy}`);
    };
    this.compiled.on('add', enqueueOwner);
    this.compiled.on('update', enqueueOwner);
    this.compiled.on('delete', enqueueOwner);
  }

  async start(): Promise<void> {
    await Promise.all([this.informer.start(), this.compiled.start()]);
  }

  async stop(): Promise<void> {
    this.queue.stop();
    await Promise.all([this.informer.stop(), this.compiled.stop()]);
  }

  async reconcile(key: string): Promise<void> {
    const started = this.now();
    const [namespace, name] = key.split('/') as [string, string];
    let obj: PolicyObject;
    try {
      obj = (await this.o.custom.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: POLICY_PLURAL,
        name,
      })) as PolicyObject;
    } catch (e) {
      if (statusOf(e) !== 404) throw e;
      // Deleted: its ConfigMap goes too (owner references do this where a garbage collector runs).
      await this.o.core.deleteNamespacedConfigMap({ name: policyConfigMapName(name), namespace }).catch((err) => {
        if (statusOf(err) !== 404) throw err;
      });
      this.o.metrics?.reconciled('deleted', (this.now() - started) / 1000);
      return;
    }
    const generation = obj.metadata.generation ?? 0;
    const [problems, existing] = await Promise.all([this.validate(obj), this.readConfigMap(namespace, name)]);
    const counts = { targetCount: obj.spec?.targets?.length ?? 0, ruleCount: obj.spec?.rules?.length ?? 0 };
    if (problems.length) {
      // The last good ConfigMap stays. One edited by someone else cannot be restored (that generation's
      // spec is gone) and is left alone: proxies ignore it (its spec does not hash to the last compiled
      // generation), running ones keep what they enforce; deleting it would make them fail closed.
      const tampered = existing && this.mismatch(obj, existing);
      if (tampered)
        await this.reportTampered(
          obj,
          existing,
          `${tampered}; not restored while generation ${generation} is invalid (proxies ignore it)`,
        );
      const message = problems.join('; ');
      const change = this.recordChange(obj, 'Invalid');
      await this.writeStatus(obj, { status: 'False', reason: 'InvalidPolicy', message }, counts, change.history);
      await change.emit();
      await this.o.events.emit(obj, 'Warning', 'InvalidPolicy', message);
      this.o.log?.('warn', 'policy invalid', { key, generation, message });
      this.o.metrics?.reconciled('invalid', (this.now() - started) / 1000);
      return;
    }
    const tampered = existing && this.mismatch(obj, existing);
    await this.writeConfigMap(obj, tampered ? existing : undefined);
    if (tampered) await this.reportTampered(obj, existing, `${tampered}; restored`);
    const wasReady = obj.status?.conditions?.find((c) => c.type === 'Ready');
    const message = `compiled into ConfigMap ${policyConfigMapName(name)} (generation ${generation})`;
    // Status first: proxies enforce a generation once the status says it compiled (shared/contract/compiled-policy.ts).
    const change = this.recordChange(obj, 'Compiled');
    await this.writeStatus(obj, { status: 'True', reason: 'Compiled', message }, counts, change.history);
    await change.emit();
    if (wasReady?.status !== 'True' || wasReady.observedGeneration !== generation)
      await this.o.events.emit(obj, 'Normal', 'Compiled', message);
    this.o.metrics?.reconciled('ready', (this.now() - started) / 1000);
  }

  /**
   * The change history with this generation in it. A new generation gets an entry and a PolicyChanged
   * Event naming who changed it — trusted only if the webhook's stamp is for exactly this spec.
   */
  private recordChange(
    obj: PolicyObject,
    outcome: PolicyChange['outcome'],
  ): { history: PolicyChange[]; emit: () => Promise<void> } {
    const history = obj.status?.history ?? [];
    const generation = obj.metadata.generation ?? 0;
    if (history.at(-1)?.generation === generation) return { history, emit: async () => undefined };
    const ann = obj.metadata.annotations ?? {};
    const sha = specSha256(obj.spec);
    const attributed = ann[SPEC_SHA256] === sha && !!ann[CHANGED_BY];
    const change: PolicyChange = {
      generation,
      specSha256: sha,
      ...(attributed
        ? { changedBy: ann[CHANGED_BY]!, ...(ann[CHANGED_AT] ? { changedAt: ann[CHANGED_AT] } : {}) }
        : {}),
      outcome,
      observedAt: new Date(this.now()).toISOString(),
    };
    const who = attributed
      ? `by ${change.changedBy}${change.changedAt ? ` at ${change.changedAt}` : ''}`
      : 'by an unrecorded user (the change did not pass the agentgate admission webhook)';
    const emit = (): Promise<void> =>
      this.o.events.emit(
        obj,
        attributed ? 'Normal' : 'Warning',
        'PolicyChanged',
        `generation ${generation} ${who}; spec sha256 ${sha.slice(0, 16)}…; ${outcome === 'Compiled' ? 'compiled' : 'invalid, not enforced'}`,
      );
    return { history: [...history, change].slice(-HISTORY_LIMIT), emit };
  }

  /** Everything the proxy's validator refuses, plus referenced Secrets that do not exist (where the operator may read them). */
  private async validate(obj: PolicyObject): Promise<string[]> {
    const problems: string[] = [];
    try {
      validatePolicy(
        structuredClone({
          apiVersion: obj.apiVersion,
          kind: obj.kind,
          metadata: { name: obj.metadata.name, namespace: obj.metadata.namespace },
          spec: obj.spec,
        }),
      );
    } catch (e) {
      if (!(e instanceof PolicyValidationError)) throw e;
      problems.push(...e.errors.map((x) => `${x.path}: ${x.message}`));
    }
    for (const [i, t] of (obj.spec?.targets ?? []).entries()) {
      const ref = t.credentials?.secretRef;
      if (!ref) continue;
      try {
        const secret = await this.o.core.readNamespacedSecret({ name: ref.name, namespace: obj.metadata.namespace! });
        const key = ref.key ?? 'password';
        if (!secret.data?.[key] && !secret.stringData?.[key])
          problems.push(`spec.targets[${i}].credentials.secretRef: Secret ${ref.name} has no key "${key}"`);
      } catch (e) {
        if (statusOf(e) === 404)
          problems.push(
            `spec.targets[${i}].credentials.secretRef: Secret ${ref.name} not found in namespace ${obj.metadata.namespace}`,
          );
        // The chart gives the operator no Secrets outside its namespace: then the kubelet reports a
        // missing Secret when it mounts it into the proxy container.
        else if (statusOf(e) !== 403) throw e;
      }
    }
    return problems;
  }

  private async readConfigMap(namespace: string, policy: string): Promise<V1ConfigMap | undefined> {
    try {
      return await this.o.core.readNamespacedConfigMap({ name: policyConfigMapName(policy), namespace });
    } catch (e) {
      if (statusOf(e) === 404) return undefined;
      throw e;
    }
  }

  /** How a compiled ConfigMap differs from anything the operator wrote for this policy, or undefined. */
  private mismatch(obj: PolicyObject, cm: V1ConfigMap): string | undefined {
    if ((cm.data?.[OPERATOR_CA_KEY] ?? undefined) !== this.o.operatorCa) return "its operator CA is not the operator's";
    const owners = cm.metadata?.ownerReferences ?? [];
    if (owners.length !== 1 || owners[0]!.uid !== obj.metadata.uid || owners[0]!.kind !== obj.kind)
      return 'its owner is not the policy';
    if (cm.metadata?.labels?.[POLICY_LABEL] !== obj.metadata.name)
      return `its ${POLICY_LABEL} label is not the policy's`;
    if (
      Object.keys(cm.data ?? {}).some((k) => k !== POLICY_KEY && k !== OPERATOR_CA_KEY) ||
      Object.keys(cm.binaryData ?? {}).length
    )
      return 'it holds keys the operator did not write';
    let doc: unknown;
    try {
      doc = JSON.parse(cm.data?.[POLICY_KEY] ?? '');
    } catch {
      return `its ${POLICY_KEY} is not JSON`;
    }
    return compiledMismatch(obj as never, doc, this.o.runTokenIssuer);
  }

  private async reportTampered(obj: PolicyObject, cm: V1ConfigMap, what: string): Promise<void> {
    const by = tamperedBy(cm, FIELD_MANAGER);
    const message = `ConfigMap ${policyConfigMapName(obj.metadata.name)} was changed ${by ? `by ${by}` : 'by someone else'}, not by the operator: ${what}`;
    await this.o.events.emit(obj, 'Warning', 'CompiledPolicyTampered', message);
    this.o.log?.('warn', 'compiled policy tampered with', {
      policy: `${obj.metadata.namespace}/${obj.metadata.name}`,
      message,
    });
  }

  /** Server-side apply; a tampered ConfigMap is replaced whole first (apply would keep fields others added, e.g. a second owner). */
  private async writeConfigMap(obj: PolicyObject, tampered?: V1ConfigMap): Promise<void> {
    const name = policyConfigMapName(obj.metadata.name);
    const compiled = compiledDocument(obj as never, this.o.runTokenIssuer);
    const body: V1ConfigMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name,
        namespace: obj.metadata.namespace!,
        labels: { [POLICY_LABEL]: obj.metadata.name, 'app.kubernetes.io/managed-by': 'agentgate' },
        annotations: { [POLICY_GENERATION_ANNOTATION]: String(obj.metadata.generation ?? 0) },
        ownerReferences: [
          {
            apiVersion: obj.apiVersion,
            kind: obj.kind,
            name: obj.metadata.name,
            uid: obj.metadata.uid!,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      data: {
        [POLICY_KEY]: JSON.stringify(compiled),
        ...(this.o.operatorCa ? { [OPERATOR_CA_KEY]: this.o.operatorCa } : {}),
      },
    };
    if (tampered) {
      // JSON Patch replaces whole lists and maps (the chart grants patch, not update); the test makes it fail if the ConfigMap changed meanwhile.
      const ops = [
        { op: 'test', path: '/metadata/resourceVersion', value: tampered.metadata!.resourceVersion },
        { op: tampered.metadata?.labels ? 'replace' : 'add', path: '/metadata/labels', value: body.metadata!.labels },
        {
          op: tampered.metadata?.ownerReferences ? 'replace' : 'add',
          path: '/metadata/ownerReferences',
          value: body.metadata!.ownerReferences,
        },
        { op: tampered.data ? 'replace' : 'add', path: '/data', value: body.data },
        ...(tampered.binaryData ? [{ op: 'remove', path: '/binaryData' }] : []),
      ];
      await this.o.core.patchNamespacedConfigMap(
        { name, namespace: obj.metadata.namespace!, body: ops, fieldManager: FIELD_MANAGER },
        jsonPatch,
      );
    }
    await this.o.core.patchNamespacedConfigMap(
      { name, namespace: obj.metadata.namespace!, body, fieldManager: FIELD_MANAGER, force: true },
      applyPatch,
    );
  }

  private async writeStatus(
    obj: PolicyObject,
    ready: Pick<Condition, 'status' | 'reason' | 'message'>,
    counts: { targetCount: number; ruleCount: number },
    history: PolicyChange[],
  ): Promise<void> {
    const generation = obj.metadata.generation ?? 0;
    const old = obj.status?.conditions?.find((c) => c.type === 'Ready');
    const condition: Condition = {
      type: 'Ready',
      ...ready,
      observedGeneration: generation,
      lastTransitionTime:
        old && old.status === ready.status ? old.lastTransitionTime : new Date(this.now()).toISOString(),
    };
    // Reported rug pulls stay until the spec accepts them; their condition follows the spec.
    const oldConditions = obj.status?.conditions ?? [];
    const tools = toolDefinitionsState(
      obj,
      generation,
      obj.status?.toolDefinitionChanges ?? [],
      oldConditions.some((c) => c.type === TOOL_DEFINITIONS_CONDITION),
    );
    const conditions = tools.condition
      ? mergeCondition(
          [condition, ...oldConditions.filter((c) => c.type === TOOL_DEFINITIONS_CONDITION)],
          tools.condition,
          this.now(),
        )
      : [condition];
    const status: PolicyStatus = {
      observedGeneration: generation,
      ...(this.o.runTokenIssuer ? { runTokenIssuer: this.o.runTokenIssuer } : {}),
      ...counts,
      conditions,
      ...(history.length ? { history } : {}),
      ...(tools.open.length || obj.status?.toolDefinitionChanges ? { toolDefinitionChanges: tools.open } : {}),
      ...(obj.status?.toolDefinitionBaselines ? { toolDefinitionBaselines: obj.status.toolDefinitionBaselines } : {}),
    };
    if (JSON.stringify(obj.status) === JSON.stringify(status)) return; // idempotent: nothing to write
    // With the resourceVersion read: a change a sidecar reported meanwhile is not overwritten (the conflict is retried).
    await this.o.custom.patchNamespacedCustomObjectStatus(
      {
        group: GROUP,
        version: VERSION,
        namespace: obj.metadata.namespace!,
        plural: POLICY_PLURAL,
        name: obj.metadata.name,
        body: { metadata: { resourceVersion: obj.metadata.resourceVersion }, status },
      },
      mergePatch,
    );
  }

  /** ConfigMaps whose policy no longer exists (deleted while the operator was down). */
  private async collectOrphans(): Promise<void> {
    try {
      const list = this.o.namespace
        ? await this.o.core.listNamespacedConfigMap({ namespace: this.o.namespace, labelSelector: POLICY_LABEL })
        : await this.o.core.listConfigMapForAllNamespaces({ labelSelector: POLICY_LABEL });
      const live = new Set(this.informer.list().map((p) => `${p.metadata.namespace}/${p.metadata.name}`));
      for (const cm of list.items) {
        const key = `${cm.metadata?.namespace}/${cm.metadata?.labels?.[POLICY_LABEL]}`;
        if (!live.has(key)) this.queue.add(key);
      }
    } catch (e) {
      this.o.log?.('warn', 'orphan scan failed', { error: messageOf(e) });
    }
  }
}
