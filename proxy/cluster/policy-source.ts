/**
 * Cluster mode: the proxy follows its AgentAccessPolicy through a feed (object-feed.ts), so a `kubectl apply` of a
 * changed rule is enforced within seconds (once the operator's status says it compiled it) and without
 * a restart. The policy object is the only source of truth (shared/contract/compiled-policy.ts): the compiled ConfigMap,
 * which anyone with ConfigMap rights in the namespace can edit, is watched only to tell a deleted one
 * (fail closed) and to audit one that is not what the operator wrote (onTampered). A deleted policy, a
 * missing compiled one, or a control plane out of reach for longer than the staleness bound makes the
 * proxy fail closed (onUnavailable) until the policy is back.
 */
import type { KubernetesObject, V1ConfigMap } from '@kubernetes/client-node';
import { FIELD_MANAGER, POLICY_KEY, policyConfigMapName } from '../../shared/contract/api.js';
import { tamperedBy } from '../../shared/kube/tampered-by.js';
import { realClock, type Clock } from '../../shared/kube/workqueue.js';
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';
import { validatePolicy } from '../../shared/contract/validate-policy.js';
import { DEFAULT_STALENESS_MS, PolicyAvailability } from './policy-availability.js';
import { compiledMismatch, trustedPolicy, type PolicyObjectWithStatus } from '../../shared/contract/compiled-policy.js';
import type { FeedFactory, ObjectFeed } from './object-feed.js';

export interface PolicySourceOptions {
  /** Where the policy object and its compiled ConfigMaps are read: the operator's feeds, or the API server. */
  feeds: FeedFactory;
  namespace: string;
  policy: string;
  onPolicy: (p: AgentAccessPolicy) => void;
  /** The reason the proxy must refuse statements, or undefined once its policy is current again. */
  onUnavailable?: (reason: string | undefined) => void;
  /** The compiled ConfigMap is not what the operator wrote for the policy (once per ConfigMap version). */
  onTampered?: (message: string, detail: { configMap: string; resourceVersion?: string; manager?: string }) => void;
  /** Fail closed after this long without an answer from the control plane (default 60 s). */
  stalenessMs?: number;
  clock?: Clock;
  log?: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
}

type PolicyObject = KubernetesObject & PolicyObjectWithStatus & { metadata: { name: string; uid?: string } };

export class ConfigMapPolicySource {
  private readonly configMaps: ObjectFeed<V1ConfigMap>;
  private readonly policies: ObjectFeed<PolicyObject>;
  private readonly availability: PolicyAvailability;
  private readonly clock: Clock;
  /** uid/generation of the document last handed to onPolicy (or returned by start). */
  private enforced?: string;
  private tamperReported?: string;
  private reported?: string;
  private started = false;
  private watchdog?: unknown;
  private lastProblem?: string;

  constructor(private readonly o: PolicySourceOptions) {
    this.clock = o.clock ?? realClock;
    const stalenessMs = o.stalenessMs ?? DEFAULT_STALENESS_MS;
    this.availability = new PolicyAvailability({ namespace: o.namespace, name: o.policy }, stalenessMs);
    // Hearing from the feeds a few times within the bound is what tells a quiet policy from a dead control plane.
    const relistMs = Math.max(1000, Math.floor(stalenessMs / 3));
    const cmName = policyConfigMapName(o.policy);
    const scope = { namespace: o.namespace, policy: o.policy, relistMs, clock: this.clock };
    this.configMaps = o.feeds<V1ConfigMap>('compiled', {
      ...scope,
      onRestart: (reason, delayMs) => {
        this.lastProblem = reason;
        o.log?.('warn', 'policy watch restarting', { reason, delayMs });
      },
    });
    this.policies = o.feeds<PolicyObject>('policy', {
      ...scope,
      onRestart: (reason, delayMs) => {
        this.lastProblem = reason;
        o.log?.('warn', 'policy object watch restarting', { reason, delayMs });
      },
    });
    const now = (): number => this.clock.now();
    const onCompiled = (cm: V1ConfigMap): void => {
      if (cm.metadata?.name !== cmName) return;
      this.availability.setCompiled({ ...(compiledUid(cm) ? { uid: compiledUid(cm)! } : {}) }, now());
      this.checkCompiled();
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
      this.apply(p);
      this.checkCompiled();
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
      if (!this.policies.synced || !this.configMaps.synced)
        throw new Error(
          `cannot read policy ${this.o.namespace}/${this.o.policy} from the control plane: ${this.lastProblem ?? 'unknown error'}`,
        );
      if (!this.policies.list().some((p) => p.metadata.name === this.o.policy))
        throw new Error(`AgentAccessPolicy ${this.o.namespace}/${this.o.policy} does not exist`);
      const cm = this.compiledConfigMap();
      if (!cm)
        throw new Error(
          `no compiled policy: ConfigMap ${this.o.namespace}/${policyConfigMapName(this.o.policy)} does not exist (is the operator running and the policy Ready?)`,
        );
      const reason = this.availability.reason(this.clock.now());
      if (reason) throw new Error(reason);
      const trusted = trustedPolicy(this.policyObject()!, document(cm));
      if ('reason' in trusted) throw new Error(trusted.reason);
      const policy = validatePolicy(trusted.policy, `AgentAccessPolicy ${this.o.namespace}/${this.o.policy}`);
      this.enforced = versionOf(policy);
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
    this.watchdog = this.clock.setTimeout(
      () => this.tick(),
      Math.min(5000, Math.max(250, this.availability.stalenessMs / 4)),
    );
  }

  private check(): void {
    if (!this.started) return;
    const reason = this.availability.reason(this.clock.now());
    if (reason === this.reported) return;
    this.reported = reason;
    this.o.log?.(
      reason ? 'error' : 'info',
      reason ? 'policy unavailable: refusing statements' : 'policy available again',
      reason ? { reason } : {},
    );
    this.o.onUnavailable?.(reason);
  }

  private policyObject(): PolicyObject | undefined {
    return this.policies.list().find((x) => x.metadata.name === this.o.policy);
  }

  private compiledConfigMap(): V1ConfigMap | undefined {
    return this.configMaps.list().find((c) => c.metadata?.name === policyConfigMapName(this.o.policy));
  }

  /** A new generation the operator compiled (status), taken from the policy object itself. */
  private apply(p: PolicyObject): void {
    if (!this.started) return;
    const trusted = trustedPolicy(p, document(this.compiledConfigMap()));
    if ('reason' in trusted) return; // not compiled (yet): keep the policy in force
    const version = versionOf(trusted.policy);
    if (version === this.enforced) return;
    try {
      const policy = validatePolicy(trusted.policy, `AgentAccessPolicy ${this.o.namespace}/${this.o.policy}`);
      this.enforced = version;
      this.o.onPolicy(policy);
    } catch (e) {
      // The operator compiled it, so it validates there; if it does not here, keep the last one.
      this.o.log?.('error', 'ignoring a compiled policy that does not validate', {
        error: (e as Error).message,
      });
    }
  }

  /**
   * Reports (onTampered) a compiled ConfigMap that is not what the operator wrote (it is never
   * enforced); called on every watch event, and by the caller once whatever onTampered feeds exists.
   * A ConfigMap of a newer generation than the policy this proxy has seen is judged once the policy
   * watch catches up.
   */
  checkCompiled(): void {
    if (!this.started) return;
    const p = this.policyObject();
    const cm = this.compiledConfigMap();
    if (!p || !cm) return;
    const version = `${cm.metadata?.resourceVersion}/${p.metadata.resourceVersion}`;
    const doc = document(cm);
    const generation = (doc as { metadata?: { generation?: number } } | undefined)?.metadata?.generation;
    if (typeof generation === 'number' && generation > (p.metadata.generation ?? 0)) return;
    const mismatch = doc === undefined ? `its ${POLICY_KEY} is missing or not JSON` : compiledMismatch(p, doc);
    if (!mismatch) {
      this.tamperReported = undefined;
      return;
    }
    if (this.tamperReported === cm.metadata?.resourceVersion) return;
    this.tamperReported = cm.metadata?.resourceVersion;
    const manager = tamperedBy(cm, FIELD_MANAGER);
    const message = `compiled policy ConfigMap ${this.o.namespace}/${cm.metadata?.name} is not what the operator wrote: ${mismatch}; not enforced (the policy object is)`;
    this.o.log?.('error', 'compiled policy tampered with', { version, mismatch, ...(manager ? { manager } : {}) });
    this.o.onTampered?.(message, {
      configMap: `${this.o.namespace}/${cm.metadata?.name}`,
      ...(cm.metadata?.resourceVersion ? { resourceVersion: cm.metadata.resourceVersion } : {}),
      ...(manager ? { manager } : {}),
    });
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

/** The ConfigMap's compiled document, or undefined when it has none that parses. */
function document(cm: V1ConfigMap | undefined): unknown {
  try {
    return cm?.data?.[POLICY_KEY] ? JSON.parse(cm.data[POLICY_KEY]) : undefined;
  } catch {
    return undefined;
  }
}

function versionOf(p: AgentAccessPolicy): string {
  return `${p.metadata.uid ?? ''}/${p.metadata.generation ?? 0}/${JSON.stringify(p.metadata.annotations ?? {})}`;
}
