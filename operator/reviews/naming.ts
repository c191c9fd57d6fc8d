/**
 * Which review item a deviation belongs to: one per (policy, agent service account, kind, rule, UTC
 * day), so a noisy agent adds to a count instead of burying reviewers under objects. The name is
 * deterministic (retries and replicas land on the same object): `<policy>-<sa>-<kind>-<day>-<8 hex of
 * sha256(rule)>`, shortened with a hash of the whole key when it would not fit a Kubernetes name.
 */
import { createHash } from 'node:crypto';
import type { DeviationKind } from './types.js';

const MAX_NAME = 253;

export interface ReviewKey {
  policy: string;
  serviceAccount: string;
  kind: DeviationKind;
  rule: string;
  day: string;
}

const hex8 = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 8);

/**
 * `seq` > 1 names the follow-up items of a group whose earlier items were decided: a decision is final
 * and covers what its reviewer saw, so deviations filed after it open the next item (`…-2`, `…-3`).
 */
export function reviewName(k: ReviewKey, seq = 1): string {
  const kind = k.kind.toLowerCase();
  const next = seq > 1 ? `-${seq}` : '';
  const full = `${k.policy}-${k.serviceAccount}-${kind}-${k.day}-${hex8(k.rule)}${next}`;
  if (full.length <= MAX_NAME) return full;
  // Policy and service-account names may each be 253 long: keep a prefix of each and let a hash of the
  // whole key (NUL-separated, so no two keys share it) keep names apart.
  const tail = `-${kind}-${k.day}-${hex8([k.policy, k.serviceAccount, k.kind, k.rule, k.day].join('\0'))}${next}`;
  const room = MAX_NAME - tail.length - 1;
  const cut = (s: string, n: number): string => s.slice(0, n).replace(/[-.]+$/, '') || 'x';
  const policy = cut(k.policy, Math.floor(room / 2));
  return `${policy}-${cut(k.serviceAccount, room - policy.length)}${tail}`;
}

/** The UTC day (YYYY-MM-DD) of a time. */
export function utcDay(time: string | number | Date): string {
  return new Date(time).toISOString().slice(0, 10);
}
