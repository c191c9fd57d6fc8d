/**
 * Feeds straight from the API server, with the pod's service account: what a proxy in cluster mode
 * uses when it has no operator endpoint. Loads @kubernetes/client-node.
 */
import { CoreV1Api, CustomObjectsApi, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { APPROVAL_PLURAL, GROUP, POLICY_PLURAL, VERSION } from '../../shared/contract/api.js';
import type { FeedKind } from '../../shared/contract/feeds.js';
import { APPROVAL_POLICY_LABEL, POLICY_LABEL } from '../../shared/contract/labels.js';
import { ResilientInformer } from '../../shared/kube/resilient-informer.js';
import type { FeedFactory, FeedOptions, ObjectFeed } from './object-feed.js';

export function kubeFeeds(kc: KubeConfig): FeedFactory {
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const listCustom = (o: FeedOptions, plural: string, selector: { labelSelector?: string; fieldSelector?: string }) =>
    custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: o.namespace, plural, ...selector });
  const informers: Record<FeedKind, (o: FeedOptions) => ResilientInformer<KubernetesObject>> = {
    policy: (o) =>
      new ResilientInformer({
        ...common(kc, o),
        path: `/apis/${GROUP}/${VERSION}/namespaces/${o.namespace}/${POLICY_PLURAL}`,
        list: () => listCustom(o, POLICY_PLURAL, { fieldSelector: `metadata.name=${o.policy}` }) as never,
      }),
    compiled: (o) => {
      const labelSelector = `${POLICY_LABEL}=${o.policy}`;
      return new ResilientInformer({
        ...common(kc, o),
        path: `/api/v1/namespaces/${o.namespace}/configmaps`,
        labelSelector,
        list: () => core.listNamespacedConfigMap({ namespace: o.namespace, labelSelector }) as never,
      });
    },
    approvals: (o) => {
      const labelSelector = `${APPROVAL_POLICY_LABEL}=${o.policy}`;
      return new ResilientInformer({
        ...common(kc, o),
        path: `/apis/${GROUP}/${VERSION}/namespaces/${o.namespace}/${APPROVAL_PLURAL}`,
        labelSelector,
        list: () => listCustom(o, APPROVAL_PLURAL, { labelSelector }) as never,
      });
    },
  };
  return <T extends KubernetesObject>(kind: FeedKind, o: FeedOptions) => informers[kind](o) as unknown as ObjectFeed<T>;
}

function common(kc: KubeConfig, o: FeedOptions) {
  return {
    kc,
    relistMs: o.relistMs,
    ...(o.clock ? { clock: o.clock } : {}),
    ...(o.onRestart ? { onRestart: o.onRestart } : {}),
  };
}
