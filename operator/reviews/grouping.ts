/**
 * Adding reported deviations to a review item's status, as a pure function: the count is the
 * population (every deviation, not only those kept), first/last seen span them all, the most recent
 * 100 are kept, and a deviation already present (same audit hash: a retried report; without a hash,
 * the same time, reason and statement) is not counted twice. The people who triggered runs are remembered for the whole item, so none of them can review it.
 */
import { MAX_KEPT_DEVIATIONS, MAX_TRIGGERERS, type DeviationEntry, type DeviationReviewStatus } from './types.js';

/** Stands in the triggerer list once it is full: nobody can then be shown not to be one of them. */
export const TOO_MANY_TRIGGERERS = '*';

export interface GroupedDeviation {
  entry: DeviationEntry;
  /** The Kubernetes usernames (and raw sub/email) of the person who triggered the run, if any. */
  triggerers: string[];
}

/** What makes two reported deviations the same one (a retried report): its audit hash, else time, reason and statement. */
export const deviationIdentity = (d: DeviationEntry): string =>
  d.auditHash ?? `${d.time}\0${d.reason ?? ''}\0${d.statement ?? ''}`;

export function addDeviations(
  status: DeviationReviewStatus | undefined,
  add: GroupedDeviation[],
): { status: DeviationReviewStatus; added: number } {
  const kept = [...(status?.deviations ?? [])];
  const identity = deviationIdentity;
  const seen = new Set(kept.map(identity));
  const triggerers = new Set(status?.triggeredByUsernames ?? []);
  let count = status?.count ?? 0;
  let first = status?.firstSeen;
  let last = status?.lastSeen;
  let added = 0;
  for (const { entry, triggerers: names } of add) {
    if (seen.has(identity(entry))) continue;
    seen.add(identity(entry));
    added++;
    count++;
    kept.push(entry);
    if (!first || Date.parse(entry.time) < Date.parse(first)) first = entry.time;
    if (!last || Date.parse(entry.time) > Date.parse(last)) last = entry.time;
    for (const n of names) {
      if (triggerers.has(TOO_MANY_TRIGGERERS)) break;
      if (triggerers.size >= MAX_TRIGGERERS && !triggerers.has(n)) triggerers.add(TOO_MANY_TRIGGERERS);
      else triggerers.add(n);
    }
  }
  kept.sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
  const next: DeviationReviewStatus = {
    ...status,
    count,
    ...(first ? { firstSeen: first } : {}),
    ...(last ? { lastSeen: last } : {}),
    deviations: kept.slice(-MAX_KEPT_DEVIATIONS),
    ...(triggerers.size ? { triggeredByUsernames: [...triggerers] } : {}),
  };
  return { status: next, added };
}
