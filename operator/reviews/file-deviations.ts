/**
 * Counts deviations into their review item, creating it on first use: read, add (grouping.ts), write
 * status under the read resourceVersion, and again on a conflict, so concurrent writers (replicas,
 * retries, the review controller) never lose a count. An item already decided is not added to: its
 * decision covers what its reviewer saw, so later deviations of the group go to the next open item
 * (`…-2`, `…-3`, naming.ts), where a reviewer sees them as open.
 */
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { mergePatch, statusOf } from '../../shared/kube/client.js';
import { GROUP, VERSION } from '../../shared/contract/api.js';
import { addDeviations, deviationIdentity, type GroupedDeviation } from './grouping.js';
import { reviewName, type ReviewKey } from './naming.js';
import { REVIEW_PLURAL, REVIEW_POLICY_LABEL, type DeviationReview } from './types.js';

/** Follow-up items per group and day; past it the deviations stay in the chain (the report shows them unreported). */
export const MAX_FOLLOW_UPS = 1000;

type Log = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;

export async function fileDeviations(
  custom: CustomObjectsApi,
  namespace: string,
  key: ReviewKey,
  entries: GroupedDeviation[],
  log?: Log,
): Promise<string> {
  let pending = entries;
  for (let seq = 1; seq <= MAX_FOLLOW_UPS; seq++) {
    const name = reviewName(key, seq);
    const filed = await fileInto(custom, namespace, name, key, pending, log);
    if (filed.done) return name;
    // Decided: what it already holds was reviewed (a retried report of it is not a new deviation).
    const held = new Set(filed.held.map(deviationIdentity));
    pending = pending.filter((e) => !held.has(deviationIdentity(e.entry)));
    if (!pending.length) return name;
  }
  throw new Error(
    `review items for ${key.kind} "${key.rule}" by ${key.serviceAccount} on ${key.day}: more than ${MAX_FOLLOW_UPS} decided items`,
  );
}

async function fileInto(
  custom: CustomObjectsApi,
  namespace: string,
  name: string,
  key: ReviewKey,
  entries: GroupedDeviation[],
  log?: Log,
): Promise<{ done: true } | { done: false; held: NonNullable<NonNullable<DeviationReview['status']>['deviations']> }> {
  for (let attempt = 0; ; attempt++) {
    let dr: DeviationReview;
    try {
      dr = (await custom.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: REVIEW_PLURAL,
        name,
      })) as DeviationReview;
    } catch (e) {
      if (statusOf(e) !== 404) throw e;
      const body: DeviationReview = {
        apiVersion: 'agentgate.dev/v1alpha1',
        kind: 'DeviationReview',
        // A label value holds at most 63 characters; spec.policyRef always names the policy.
        metadata: {
          name,
          namespace,
          ...(key.policy.length <= 63 ? { labels: { [REVIEW_POLICY_LABEL]: key.policy } } : {}),
        },
        spec: {
          policyRef: { name: key.policy },
          agent: { serviceAccount: key.serviceAccount },
          kind: key.kind,
          rule: key.rule,
          day: key.day,
        },
      };
      try {
        dr = (await custom.createNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace,
          plural: REVIEW_PLURAL,
          body,
        })) as DeviationReview;
        log?.('info', 'review item opened', { namespace, name, kind: key.kind, rule: key.rule });
      } catch (c) {
        if (statusOf(c) === 409 && attempt < 5) continue; // another writer created it: count into it
        throw c;
      }
    }
    if (dr.spec.decision) return { done: false, held: dr.status?.deviations ?? [] };
    const { status, added } = addDeviations(dr.status, entries);
    if (added === 0) return { done: true };
    status.state ??= 'Open';
    try {
      // resourceVersion: a decision made meanwhile bumps it, so these are not counted into a decided item.
      await custom.patchNamespacedCustomObjectStatus(
        {
          group: GROUP,
          version: VERSION,
          namespace,
          plural: REVIEW_PLURAL,
          name,
          body: { metadata: { resourceVersion: dr.metadata.resourceVersion }, status },
        },
        mergePatch,
      );
      return { done: true };
    } catch (e) {
      if (statusOf(e) !== 409 || attempt >= 5) throw e;
    }
  }
}
