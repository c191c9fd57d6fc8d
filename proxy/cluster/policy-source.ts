/**
 * Cluster mode: the proxy follows its policy's compiled ConfigMap (written by the operator) through a
 * watch, so a `kubectl apply` of a changed rule is enforced within seconds and without a restart —
 * kubelet's ConfigMap volume sync would take a minute or more. It also watches the AgentAccessPolicy
 * itself: a deleted policy, a missing compiled one, or an API server out of reach for longer than the
 * staleness bound makes the proxy fail closed (onUnavailable) until the policy is back.
 */
import { CoreV1Api, CustomObjectsApi, type KubeConfig, type KubernetesObject, type V1ConfigMap } from '@kubernetes/client-node';
import { POLICY_KEY, POLICY_LABEL } from '../../operator/policy-controller.js';
import { GROUP, messageOf, POLICY_PLURAL, policyConfigMapName, VERSION } from '../../operator/kube.js';
import { ResilientInformer } from '../../operator/resilient-informer.js';
import { realClock, type Clock } from '../../operator/workqueue.js';
import type { AgentAccessPolicy } from '../policy/types.js';
import { PolicyValidationError, validatePolicy } from '../policy/validate.js';
import { DEFAULT_STALENESS_MS, PolicyAvailability } from './policy-availability.js';

export interface PolicySourceOptions {
  kc: KubeConfig;
  namespace: string;
  policy: string;
  onPolicy: (p: AgentAccessPolicy) => void;
  /** The reason the proxy must refuse statements, or undefined once its policy is current again. */
  onUnavailable?: (reason: string | undefined) => void;
  /** Fail closed after this long without an answer from the API server (default 60 s). */
  stalenessMs?: number;
  clock?: Clock;
  log?: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
}

type PolicyObject = KubernetesObject & { metadata: { name: string; uid?: string } };

export class ConfigMapPolicySource {
  private readonly configMaps: ResilientInformer<V1ConfigMap>;
  private readonly policies: ResilientInformer<PolicyObject>;
  private readonly availability: PolicyAvailability;
  private readonly clock: Clock;
  private lastResourceVersion?: string;
  private reported?: string;
  private started = false;
  private watchdog?: unknown;
  private lastProblem?: string;

  constructor(private readonly o: PolicySourceOptions) {
    this.clock = o.clock ?? realClock;
    const stalenessMs = o.stalenessMs ?? DEFAULT_STALENESS_MS;
    this.availability = new PolicyAvailability({ namespace: o.namespace, name: o.policy }, stalenessMs);
    // Relisting a few times within the bound is what tells a quiet watch from a dead API server.
    const relistMs = Math.max(1000, Math.floor(stalenessMs / 3));
    const core = o.kc.makeApiClient(CoreV1Api);
    const custom = o.kc.makeApiClient(CustomObjectsApi);
    const labelSelector = `${POLICY_LABEL}=${o.policy}`;
    const cmName = policyConfigMapName(o.policy);
    this.configMaps = new ResilientInformer<V1ConfigMap>({
      kc: o.kc,
      path: `/api/v1/namespaces/${o.namespace}/configmaps`,
      labelSelector,
      list: () => core.listNamespacedConfigMap({ namespace: o.namespace, labelSelector }),
      relistMs,
      clock: this.clock,
      onRestart: (reason, delayMs) => {
        this.lastProblem = reason;
        o.log?.('warn', 'policy watch restarting', { reason, delayMs });
      },
    });
    this.policies = new ResilientInformer<PolicyObject>({
      kc: o.kc,
      path: `/apis/${GROUP}/${VERSION}/namespaces/${o.namespace}/${POLICY_PLURAL}`,
      list: () => custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: o.namespace, plural: POLICY_PLURAL, fieldSelector: `metadata.name=${o.policy}` }) as never,
      relistMs,
      clock: this.clock,
      onRestart: (reason, delayMs) => {
        this.lastProblem = reason;
        o.log?.('warn', 'policy object watch restarting', { reason, delayMs });
      },
    });
    const now = (): number => this.clock.now();
    const onCompiled = (cm: V1ConfigMap): void => {
      if (cm.metadata?.name !== cmName) return;
      this.availability.setCompiled({ ...(compiledUid(cm) ? { uid: compiledUid(cm)! } : {}) }, now());
      this.apply(cm);
      this.check();
    };
    this.configMaps.on('add', onCompiled);
    this.configMaps.on('update', onCompiled);
    this.configMaps.on('delete', (cm) => {
      if (cm.metadata?.name !== cmName) return;
      this.availability.setCompiled(null, now());
      this.check();
    });
    this.configMaps.onSync(() => {
      if (!this.configMaps.list().some((c) => c.metadata?.name === cmName)) this.availability.setCompiled(null, now());
      else this.availability.heard('compiled', now());
      this.check();
    });
    const onPolicy = (p: PolicyObject): void => {
      if (p.metadata.name !== o.policy) return;
      this.availability.setPolicy({ ...(p.metadata.uid ? { uid: p.metadata.uid } : {}) }, now());
      this.check();
    };
    this.policies.on('add', onPolicy);
    this.policies.on('update', onPolicy);
    this.policies.on('delete', (p) => {
      if (p.metadata.name !== o.policy) return;
      this.availability.setPolicy(null, now());
      this.check();
    });
    this.policies.onSync(() => {
      const p = this.policies.list().find((x) => x.metadata.name === o.policy);
      this.availability.setPolicy(p ? { ...(p.metadata.uid ? { uid: p.metadata.uid } : {}) } : null, now());
      this.check();
    });
  }

  /**
   * Starts watching; resolves with the current policy, or rejects (and stops) when there is none: a
   * proxy never starts without the policy it was told to enforce.
   */
  async start(): Promise<AgentAccessPolicy> {
    try {
      await Promise.all([this.policies.start(), this.configMaps.start()]);
      if (!this.policies.synced || !this.configMaps.synced) throw new Error(`cannot read policy ${this.o.namespace}/${this.o.policy} from the API server: ${this.lastProblem ?? 'unknown error'}`);
      if (!this.policies.list().some((p) => p.metadata.name === this.o.policy)) throw new Error(`AgentAccessPolicy ${this.o.namespace}/${this.o.policy} does not exist`);
      const cm = this.configMaps.list().find((c) => c.metadata?.name === policyConfigMapName(this.o.policy));
      if (!cm) throw new Error(`no compiled policy: ConfigMap ${this.o.namespace}/${policyConfigMapName(this.o.policy)} does not exist (is the operator running and the policy Ready?)`);
      const reason = this.availability.reason(this.clock.now());
      if (reason) throw new Error(reason);
      this.lastResourceVersion = cm.metadata?.resourceVersion;
      const policy = parse(cm);
      this.started = true;
      this.tick();
      return policy;
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  /** The reason the proxy must refuse statements now, if any. */
  unavailable(): string | undefined {
    return this.availability.reason(this.clock.now());
  }

  private tick(): void {
    this.check();
    this.watchdog = this.clock.setTimeout(() => this.tick(), Math.min(5000, Math.max(250, this.availability.stalenessMs / 4)));
  }

  private check(): void {
    if (!this.started) return;
    const reason = this.availability.reason(this.clock.now());
    if (reason === this.reported) return;
    this.reported = reason;
    this.o.log?.(reason ? 'error' : 'info', reason ? 'policy unavailable: refusing statements' : 'policy available again', reason ? { reason } : {});
    this.o.onUnavailable?.(reason);
  }

  private apply(cm: V1ConfigMap): void {
    if (cm.metadata?.resourceVersion === this.lastResourceVersion) return;
    this.lastResourceVersion = cm.metadata?.resourceVersion;
    if (!this.started) return;
    try {
      this.o.onPolicy(parse(cm));
    } catch (e) {
      // The operator only writes valid policies; if this one does not validate here, keep the last one.
      this.o.log?.('error', 'ignoring a compiled policy that does not validate', { error: e instanceof PolicyValidationError ? e.message : messageOf(e) });
    }
  }

  async stop(): Promise<void> {
    this.started = false;
    this.clock.clearTimeout(this.watchdog);
    await Promise.all([this.configMaps.stop(), this.policies.stop()]);
  }
}

/** The uid of the policy a compiled ConfigMap was made from (its owner). */
function compiledUid(cm: V1ConfigMap): string | undefined {
  return cm.metadata?.ownerReferences?.find((r) => r.kind === 'AgentAccessPolicy')?.uid;
}

function parse(cm: V1ConfigMap): AgentAccessPolicy {
  const text = cm.data?.[POLICY_KEY];
  if (!text) throw new Error(`ConfigMap ${cm.metadata?.name} has no ${POLICY_KEY}`);
  return validatePolicy(JSON.parse(text), `ConfigMap ${cm.metadata?.namespace}/${cm.metadata?.name}`);
}
