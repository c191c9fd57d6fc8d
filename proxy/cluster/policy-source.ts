/**
 * Cluster mode: the proxy follows its policy's compiled ConfigMap (written by the operator) through a
 * watch, so a `kubectl apply` of a changed rule is enforced within seconds and without a restart —
 * kubelet's ConfigMap volume sync would take a minute or more.
 */
import { CoreV1Api, type KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { POLICY_KEY, POLICY_LABEL } from '../../operator/policy-controller.js';
import { messageOf, policyConfigMapName } from '../../operator/kube.js';
import { ResilientInformer } from '../../operator/resilient-informer.js';
import type { AgentAccessPolicy } from '../policy/types.js';
import { PolicyValidationError, validatePolicy } from '../policy/validate.js';

export interface PolicySourceOptions {
  kc: KubeConfig;
  namespace: string;
  policy: string;
  onPolicy: (p: AgentAccessPolicy) => void;
  log?: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
}

export class ConfigMapPolicySource {
  private readonly informer: ResilientInformer<V1ConfigMap>;
  private lastResourceVersion?: string;

  constructor(private readonly o: PolicySourceOptions) {
    const core = o.kc.makeApiClient(CoreV1Api);
    const labelSelector = `${POLICY_LABEL}=${o.policy}`;
    this.informer = new ResilientInformer<V1ConfigMap>({
      kc: o.kc,
      path: `/api/v1/namespaces/${o.namespace}/configmaps`,
      labelSelector,
      list: () => core.listNamespacedConfigMap({ namespace: o.namespace, labelSelector }),
      onRestart: (reason, delayMs) => o.log?.('warn', 'policy watch restarting', { reason, delayMs }),
    });
    const changed = (cm: V1ConfigMap): void => this.apply(cm);
    this.informer.on('add', changed);
    this.informer.on('update', changed);
  }

  /** Starts watching; resolves with the current policy, or rejects if there is none yet. */
  async start(): Promise<AgentAccessPolicy> {
    await this.informer.start();
    const cm = this.informer.list().find((c) => c.metadata?.name === policyConfigMapName(this.o.policy));
    if (!cm) throw new Error(`no compiled policy: ConfigMap ${this.o.namespace}/${policyConfigMapName(this.o.policy)} does not exist (is the operator running and the policy Ready?)`);
    this.lastResourceVersion = cm.metadata?.resourceVersion;
    return parse(cm);
  }

  private apply(cm: V1ConfigMap): void {
    if (cm.metadata?.name !== policyConfigMapName(this.o.policy) || cm.metadata?.resourceVersion === this.lastResourceVersion) return;
    this.lastResourceVersion = cm.metadata?.resourceVersion;
    try {
      this.o.onPolicy(parse(cm));
    } catch (e) {
      // The operator only writes valid policies; if this one does not validate here, keep the last one.
      this.o.log?.('error', 'ignoring a compiled policy that does not validate', { error: e instanceof PolicyValidationError ? e.message : messageOf(e) });
    }
  }

  stop(): Promise<void> {
    return this.informer.stop();
  }
}

function parse(cm: V1ConfigMap): AgentAccessPolicy {
  const text = cm.data?.[POLICY_KEY];
  if (!text) throw new Error(`ConfigMap ${cm.metadata?.name} has no ${POLICY_KEY}`);
  return validatePolicy(JSON.parse(text), `ConfigMap ${cm.metadata?.namespace}/${cm.metadata?.name}`);
}
