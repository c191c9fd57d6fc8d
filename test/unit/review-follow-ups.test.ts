/**
 * Hostile review of #16: once a reviewer acknowledged today's item for a rule, an agent could go on
 * with the same deviation all day and the queue would show it reviewed (the decision is final, the
 * item's count just grows). Deviations filed after a decision open a follow-up item instead.
 */
import { expect } from 'chai';
import { ApiException, type CustomObjectsApi } from '@kubernetes/client-node';
import { fileDeviations } from '../../operator/reviews/file-deviations.js';
import { reviewName } from '../../operator/reviews/naming.js';
import type { DeviationReview } from '../../operator/reviews/types.js';

/** The API server's part, in memory: get, create, status patch under resourceVersion. */
function fakeApi(): { api: CustomObjectsApi; objects: Map<string, DeviationReview> } {
  const objects = new Map<string, DeviationReview>();
  let rv = 0;
  const notFound = (): Error => new ApiException(404, 'not found', '{}', {});
  const api = {
    getNamespacedCustomObject: async ({ name }: { name: string }) => {
      const o = objects.get(name);
      if (!o) throw notFound();
      return structuredClone(o);
    },
    createNamespacedCustomObject: async ({ body }: { body: DeviationReview }) => {
      const o = { ...structuredClone(body), metadata: { ...body.metadata, resourceVersion: String(++rv) } };
      objects.set(body.metadata.name!, o);
      return structuredClone(o);
    },
    patchNamespacedCustomObjectStatus: async ({
      name,
      body,
    }: {
      name: string;
      body: { metadata: { resourceVersion?: string }; status: DeviationReview['status'] };
    }) => {
      const o = objects.get(name)!;
      if (body.metadata.resourceVersion !== o.metadata.resourceVersion)
        throw new ApiException(409, 'conflict', '{}', {});
      o.status = { ...o.status, ...body.status };
      o.metadata.resourceVersion = String(++rv);
      return structuredClone(o);
    },
  };
  return { api: api as unknown as CustomObjectsApi, objects };
}

const key = {
  policy: 'billing-agent',
  serviceAccount: 'billing-agent',
  kind: 'Denial' as const,
  rule: 'no-ddl',
  day: '2026-11-30',
};
const dev = (n: number) => ({
  entry: { time: `2026-11-30T10:0${n}:00Z`, auditHash: String(n).repeat(64), statement: `DROP TABLE t${n}` },
  triggerers: [],
});

describe('rev16: deviations after a review decision', () => {
  it('go to a follow-up item the reviewers see open; the decided item keeps what its reviewer saw', async () => {
    const { api, objects } = fakeApi();
    const first = await fileDeviations(api, 'agents', key, [dev(1)]);
    expect(first).to.equal(reviewName(key));
    const item = objects.get(first)!;
    item.spec.decision = { state: 'Acknowledged', reviewedBy: 'approver-1', reviewedAt: '2026-11-30T10:05:00Z' };
    item.metadata.resourceVersion = 'decided';

    const second = await fileDeviations(api, 'agents', key, [dev(6), dev(7)]);
    expect(second).to.equal(reviewName(key, 2));
    expect(objects.get(first)!.status).to.deep.include({ count: 1 });
    expect(objects.get(second)!.status).to.deep.include({ count: 2, state: 'Open' });
    expect(objects.get(second)!.spec).to.deep.include({ kind: 'Denial', rule: 'no-ddl', day: '2026-11-30' });

    // A retried report of what the decided item holds is not a new deviation anywhere.
    await fileDeviations(api, 'agents', key, [dev(1)]);
    expect(objects.get(second)!.status!.count).to.equal(2);
    expect(objects.size).to.equal(2);
  });

  it('follow-up names stay valid and distinct when the key is long enough to be shortened', () => {
    const long = { ...key, policy: 'p'.repeat(253), serviceAccount: 's'.repeat(253) };
    const names = [1, 2, 3, 10].map((n) => reviewName(long, n));
    expect(new Set(names).size).to.equal(4);
    for (const n of names)
      expect(n)
        .to.match(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/)
        .and.have.length.at.most(253);
  });
});
