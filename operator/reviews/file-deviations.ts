/**
 * Counts deviations into their review item, creating it on first use: read, add (grouping.ts), write
 * status under the read resourceVersion, and again on a conflict, so concurrent writers (replicas,
 * retries, the review controller) never lose a count.
 */
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { mergePatch, statusOf } from '../../shared/kube/client.js';
import { GROUP, VERSION } from '../../shared/contract/api.js';
import { addDeviations, type GroupedDeviation } from './grouping.js';
import { reviewName, type ReviewKey } from './naming.js';
import { REVIEW_PLURAL, REVIEW_POLICY_LABEL, type DeviationReview } from './types.js';

export async function fileDeviations(custom: CustomObjectsApi, namespace: string, key: ReviewKey, entries: GroupedDeviation[], log?: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void): Promise<string> {
  const name = reviewName(key);
  for (let attempt = 0; ; attempt++) {
    let dr: DeviationReview;
    try {
      dr = (await custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: REVIEW_PLURAL, name })) as DeviationReview;
    } catch (e) {
      if (statusOf(e) !== 404) throw e;
      const body: DeviationReview = {
        apiVersion: 'agentgate.dev/v1alpha1',
        kind: 'DeviationReview',
        // A label value holds at most 63 characters; spec.policyRef always names the policy.
        metadata: { name, namespace, ...(key.policy.length <= 63 ? { labels: { [REVIEW_POLICY_LABEL]: key.policy } } : {}) },
        spec: { policyRef: { name: key.policy }, agent: { serviceAccount: key.serviceAccount }, kind: key.kind, rule: key.rule, day: key.day },
      };
      try {
        dr = (await custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: REVIEW_PLURAL, body })) as DeviationReview;
        log?.('info', 'review item opened', { namespace, name, kind: key.kind, rule: key.rule });
      } catch (c) {
        if (statusOf(c) === 409 && attempt < 5) continue; // another writer created it: count into it
        throw c;
      }
    }
    const { status, added } = addDeviations(dr.status, entries);
    if (added === 0) return name;
    status.state ??= 'Open';
    try {
      await custom.patchNamespacedCustomObjectStatus({ group: GROUP, version: VERSION, namespace, plural: REVIEW_PLURAL, name, body: { metadata: { resourceVersion: dr.metadata.resourceVersion }, status } }, mergePatch);
      return name;
    } catch (e) {
      if (statusOf(e) !== 409 || attempt >= 5) throw e;
    }
  }
}
