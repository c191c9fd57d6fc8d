/**
 * Review of deviations as an auditor tests it: the population is every deviation in the audit chain for
 * the period (never the review queue's own count), judged as the sidecar reports them (deviation-of.ts),
 * plus those only a review item records (filed without an audit record), each matched to the
 * DeviationReview item that covers it — by the chained record's hash (within the item's own agent,
 * policy, kind and rule), or, for an item whose list was truncated (count > deviations listed), by
 * (agent, kind, rule, UTC day) up to the number the item leaves unlisted. A deviation no item covers
 * was not reported for review: an exception, as is one an item lists by a hash the logs given lack, an
 * item still open past its policy's maxOpenHours, a review made after that limit, a decision without an
 * admission-stamped reviewer or by someone outside the policy's reviewers, and a review by the agent
 * itself or anyone who triggered a run among the item's deviations (status.triggeredByUsernames). A
 * deviation that happened after its item was decided was not seen by that reviewer: it counts as open.
 */
import { isTriggerer } from '../../shared/identity/trigger-username.js';
import { deviationOf as reportedDeviationOf } from './deviation-of.js';
import type { AuditRecord } from './record.js';

export type DeviationKind =
  'Denial' | 'IdentityRefused' | 'ApprovalExpired' | 'ApprovalDenied' | 'CapExceeded' | 'AuditFailure';

/** The DeviationReview object as agreed (docs: /work/briefs/deviation-review-shape.md), as far as the report reads it. */
export interface DeviationReview {
  metadata: { name: string; namespace?: string; creationTimestamp?: string; labels?: Record<string, string> };
  spec: {
    policyRef?: { name: string };
    agent: { serviceAccount: string };
    kind: DeviationKind | string;
    rule: string;
    day: string;
    decision?: {
      state?: string;
      comment?: string;
      ticket?: string;
      reviewedBy?: string;
      reviewedGroups?: string[];
      reviewedAt?: string;
    };
  };
  status?: {
    state?: string;
    count?: number;
    firstSeen?: string;
    lastSeen?: string;
    deviations?: {
      time?: string;
      auditHash?: string;
      session?: string;
      pod?: string;
      statement?: string;
      reason?: string;
      triggeredBy?: string;
    }[];
    /** Every Kubernetes username of the people who triggered runs among all its deviations ("*": too many to list). */
    triggeredByUsernames?: string[];
  };
}

/** The SOC 2 control each kind of deviation belongs to in the report. */
export const CONTROL_OF: Record<DeviationKind, 'CC6.1' | 'CC6.3' | 'CC7.2'> = {
  IdentityRefused: 'CC6.1',
  Denial: 'CC6.3',
  ApprovalExpired: 'CC6.3',
  ApprovalDenied: 'CC6.3',
  CapExceeded: 'CC6.3',
  AuditFailure: 'CC7.2',
};

export const KIND_LABEL: Record<DeviationKind, string> = {
  Denial: 'Statement denied',
  IdentityRefused: 'Identity refused',
  ApprovalExpired: 'Approval expired',
  ApprovalDenied: 'Approval denied',
  CapExceeded: 'Runtime limit hit',
  AuditFailure: 'Audit witness failure',
};

export const DEFAULT_MAX_OPEN_HOURS = 72;

/** One deviation as the chain records it. Fields the record does not carry are undefined (matched as any). */
export interface ChainDeviation {
  /** The chained record's hash; empty for a deviation only its review item records (see `fromItem`). */
  hash: string;
  /** Known from its review item only: filed without an audit record (an unwritable audit log, a Reject-mode approval outcome), or `notInLogs`. */
  fromItem?: true;
  /** The item lists it by an audit hash the logs given do not hold: the export misses the chain that recorded it. */
  notInLogs?: true;
  time: string;
  kind: DeviationKind;
  namespace?: string;
  serviceAccount?: string;
  /** Who the agent is for the reader: the service account, else the token's subject. */
  agent: string;
  policy?: string;
  rule: string;
  day: string;
  statement: string;
  triggeredBy?: string;
  session?: string;
}

/**
 * The deviation a chain record is, if it is one: the kind and rule the sidecar reports it under
 * (deviation-of.ts, one function for both), with who the agent is. `requested` gives an approval
 * request's masked text by name.
 */
export function deviationOf(
  r: AuditRecord,
  requested?: (approvalRequest: string) => string | undefined,
): ChainDeviation | undefined {
  const reported = reportedDeviationOf(r, requested);
  if (!reported) return undefined;
  const k8s = r.principal?.kubernetes;
  const namespace = k8s?.namespace ?? r.policy?.namespace;
  const session = typeof r.session === 'object' ? r.session?.id : (r.session as string | undefined);
  return {
    hash: r.hash,
    time: r['@timestamp'],
    kind: reported.kind,
    ...(namespace ? { namespace } : {}),
    ...(k8s?.serviceAccount ? { serviceAccount: k8s.serviceAccount } : {}),
    agent: k8s?.serviceAccount ?? r.principal?.sub ?? '(not identified)',
    ...(r.policy?.name ? { policy: r.policy.name } : {}),
    rule: reported.rule,
    day: r['@timestamp'].slice(0, 10),
    statement: reported.statement ?? reported.reason ?? r.message ?? '',
    ...(r.principal?.triggeredBy?.sub ? { triggeredBy: r.principal.triggeredBy.sub } : {}),
    ...(session ? { session } : {}),
  };
}

/** Every deviation in these records, in chain order (approval outcomes with the request's masked text). */
export function chainDeviations(records: AuditRecord[]): ChainDeviation[] {
  const requested = new Map<string, string>();
  for (const r of records) {
    const ref = (r.detail as { approvalRequest?: unknown } | undefined)?.approvalRequest;
    if (r.event.action === 'approval.requested' && typeof ref === 'string' && r.db?.query?.text)
      requested.set(ref, r.db.query.text);
  }
  return records.map((r) => deviationOf(r, (ref) => requested.get(ref))).filter((d): d is ChainDeviation => !!d);
}

export type ReviewState = 'Acknowledged' | 'Escalated' | 'Open' | 'Not reported for review';

export interface ReviewedDeviation extends ChainDeviation {
  control: 'CC6.1' | 'CC6.3' | 'CC7.2';
  /** namespace/name of the review item covering it. */
  item?: string;
  matchedBy?: 'audit hash' | 'agent, kind, rule and day' | 'listed by the item (no audit record)';
  state: ReviewState;
  reviewedBy?: string;
  reviewedAt?: string;
  note?: string;
  /** From the deviation to the review (reviewed), or its age at `asOf` (open). */
  timeToReviewMs?: number;
  /** Why this deviation is an exception, when it is one. */
  exception?: string;
}

export interface ControlReview {
  population: number;
  reviewed: number;
  open: number;
  exceptions: number;
  reviewers: string[];
}

export interface ReviewFindings {
  deviations: ReviewedDeviation[];
  byControl: Record<'CC6.1' | 'CC6.3' | 'CC7.2', ControlReview>;
  /** Findings about the review items themselves (hashes not in the chain given, unknown kinds). */
  notes: string[];
  exceptions: number;
}

export interface ReviewInput {
  /** Every record in the period (verified chains). */
  records: AuditRecord[];
  reviews: DeviationReview[];
  /** Policies (cluster) for spec.review.maxOpenHours, by namespace/name. */
  maxOpenHours?: (namespace: string | undefined, policy: string | undefined) => number | undefined;
  /** When the report is made: the age of open items is counted to here. */
  asOf: Date;
  /** Policies (cluster) for spec.review.reviewers: a decision by anyone else did not pass admission. */
  reviewers?: (
    namespace: string | undefined,
    policy: string | undefined,
  ) => { users?: string[]; groups?: string[] } | undefined;
  /** The report's period: deviations only an item records (no audit record) are counted within it. */
  period?: { from: Date; to: Date };
}

/** Stands in status.triggeredByUsernames once it is full (operator/reviews/grouping.ts). */
const TOO_MANY_TRIGGERERS = '*';
const REVIEWED = new Set(['Acknowledged', 'Escalated']);
const itemName = (r: DeviationReview): string => `${r.metadata.namespace ?? ''}/${r.metadata.name}`;
const saUser = (ns: string | undefined, sa: string): string => `system:serviceaccount:${ns ?? ''}:${sa}`;

export function reviewDeviations(i: ReviewInput): ReviewFindings {
  const chained = chainDeviations(i.records);
  const notes: string[] = [];
  const inChain = new Set(chained.map((d) => d.hash));
  const from =
    i.period?.from.getTime() ?? (chained.length ? Math.min(...chained.map((d) => Date.parse(d.time))) : -Infinity);
  const to = i.period?.to.getTime() ?? i.asOf.getTime();
  const byHash = new Map<string, DeviationReview>();
  // Deviations only an item records (no audit record exists for them): part of the population too.
  const itemOnly: [ChainDeviation, DeviationReview][] = [];
  for (const r of i.reviews) {
    for (const d of r.status?.deviations ?? []) {
      const t = Date.parse(d.time ?? '');
      if (!d.auditHash || !inChain.has(d.auditHash)) {
        // No record in the logs given: counted from the item, and an exception when it names a record the logs lack.
        if (t >= from && t <= to && !(d.auditHash && byHash.has(d.auditHash)))
          itemOnly.push([
            { ...itemDeviation(r, d, t), ...(d.auditHash ? { hash: d.auditHash, notInLogs: true as const } : {}) },
            r,
          ]);
        if (!d.auditHash) continue;
      }
      const other = byHash.get(d.auditHash);
      if (other && other !== r)
        notes.push(
          `audit record ${d.auditHash.slice(0, 12)}… is listed by two review items (${itemName(other)}, ${itemName(r)}); the first is used`,
        );
      else byHash.set(d.auditHash, r);
    }
    if (!(r.spec.kind in CONTROL_OF))
      notes.push(`review item ${itemName(r)} has an unknown kind ${JSON.stringify(r.spec.kind)}`);
  }
  const population = [...chained, ...itemOnly.map(([d]) => d)].sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
  // What each truncated item leaves unlisted: it covers at most that many more, of its own group.
  const unlisted = new Map(
    i.reviews.map((r) => [r, Math.max(0, (r.status?.count ?? 0) - (r.status?.deviations?.length ?? 0))]),
  );
  const matched = new Map<ChainDeviation, { item: DeviationReview; by: ReviewedDeviation['matchedBy'] }>();
  for (const [d, item] of itemOnly) matched.set(d, { item, by: 'listed by the item (no audit record)' });
  for (const d of chained) {
    const item = byHash.get(d.hash);
    if (!item) continue;
    // An item answers only for its own group: a hash it lists of another agent's, kind's or rule's deviation does not review that one.
    if (!sameGroup(d, item, false)) {
      notes.push(
        `review item ${itemName(item)} (${item.spec.kind}, rule ${JSON.stringify(item.spec.rule)}) lists audit record ${d.hash.slice(0, 12)}…, which is a ${d.kind} under rule ${JSON.stringify(d.rule)}${d.serviceAccount ? ` by ${d.serviceAccount}` : ''}: not counted as its review`,
      );
      continue;
    }
    matched.set(d, { item, by: 'audit hash' });
  }
  // Newest first: a truncated item lists its most recent deviations, so what it leaves out is older.
  for (const d of population.filter((x) => !x.fromItem).reverse()) {
    if (matched.has(d)) continue;
    const item = i.reviews.find((r) => (unlisted.get(r) ?? 0) > 0 && sameGroup(d, r, true));
    if (!item) continue;
    unlisted.set(item, unlisted.get(item)! - 1);
    matched.set(d, { item, by: 'agent, kind, rule and day' });
  }
  for (const r of i.reviews) {
    const absent = (r.status?.deviations ?? []).filter(
      (d) => d.auditHash && !inChain.has(d.auditHash) && (!d.time || Date.parse(d.time) >= from),
    );
    if (absent.length)
      notes.push(
        `review item ${itemName(r)} lists ${absent.length} audit record(s) not in the audit logs given (e.g. ${absent[0]!.auditHash!.slice(0, 12)}…)`,
      );
  }

  const deviations = population.map((d): ReviewedDeviation => {
    const control = CONTROL_OF[d.kind];
    const m = matched.get(d);
    if (!m)
      return {
        ...d,
        control,
        state: 'Not reported for review',
        exception: 'not reported for review: no review item covers this deviation',
      };
    if (d.notInLogs)
      return {
        ...judged(d, control, m),
        exception: `not in the audit logs given: review item ${itemName(m.item)} lists its audit record ${d.hash.slice(0, 12)}…, so the export lacks the chain that recorded it`,
      };
    return judged(d, control, m);
  });
  function judged(
    d: ChainDeviation,
    control: ReviewedDeviation['control'],
    m: { item: DeviationReview; by: ReviewedDeviation['matchedBy'] },
  ): ReviewedDeviation {
    const { item } = m;
    const maxHours =
      i.maxOpenHours?.(item.metadata.namespace ?? d.namespace, item.spec.policyRef?.name ?? d.policy) ??
      DEFAULT_MAX_OPEN_HOURS;
    const opened = Date.parse(item.status?.firstSeen ?? '') || Date.parse(d.time);
    const dec = item.spec.decision;
    const base = { ...d, control, item: itemName(item), matchedBy: m.by };
    const decided = !!dec?.state && REVIEWED.has(dec.state);
    if (decided && (!dec.reviewedBy || !dec.reviewedAt || Number.isNaN(Date.parse(dec.reviewedAt)))) {
      return {
        ...base,
        state: 'Open',
        exception: 'decision without the reviewer and time stamped at admission: not a review',
      };
    }
    if (decided && Date.parse(d.time) > Date.parse(dec.reviewedAt!)) {
      const age = i.asOf.getTime() - Date.parse(d.time);
      return {
        ...base,
        state: 'Open',
        note: `happened after the item was reviewed (${dec.reviewedAt} by ${dec.reviewedBy})`,
        timeToReviewMs: Math.max(0, age),
        ...(age > maxHours * 3600_000
          ? { exception: `open past the policy's limit of ${maxHours} h (happened after the item's review)` }
          : {}),
      };
    }
    if (decided) {
      const at = Date.parse(dec.reviewedAt!);
      const note = [dec.comment, dec.ticket ? `ticket ${dec.ticket}` : ''].filter(Boolean).join('; ');
      // The same test admission applies: the agent's service account, or the trigger under any username form.
      const triggerers = [
        d.triggeredBy,
        ...(item.status?.deviations ?? []).map((x) => x.triggeredBy),
        ...(item.status?.triggeredByUsernames ?? []),
      ].filter((t): t is string => !!t);
      const unknowable = triggerers.includes(TOO_MANY_TRIGGERERS);
      const self =
        unknowable ||
        dec.reviewedBy === saUser(item.metadata.namespace ?? d.namespace, item.spec.agent.serviceAccount) ||
        triggerers.some((t) => isTriggerer(dec.reviewedBy!, { sub: t }));
      const late = at - opened > maxHours * 3600_000;
      // A stamp is only as good as the webhook that wrote it: a decider the policy does not name came another way.
      const allowed = i.reviewers?.(item.metadata.namespace ?? d.namespace, item.spec.policyRef?.name ?? d.policy);
      const outsider =
        !!i.reviewers &&
        !(allowed?.users ?? []).includes(dec.reviewedBy!) &&
        !(allowed?.groups ?? []).some((g) => (dec.reviewedGroups ?? []).includes(g));
      return {
        ...base,
        state: dec.state as ReviewState,
        reviewedBy: dec.reviewedBy!,
        reviewedAt: dec.reviewedAt!,
        timeToReviewMs: Math.max(0, at - Date.parse(d.time)),
        ...(note ? { note } : {}),
        ...(outsider
          ? {
              exception: `reviewed by ${dec.reviewedBy}, who is not among the policy's reviewers (spec.review.reviewers): not a review admission allowed`,
            }
          : self
            ? {
                exception: unknowable
                  ? "self-review cannot be ruled out: more people triggered runs among this item's deviations than it can name"
                  : 'self-review: reviewed by the agent or the person who triggered its run',
              }
            : late
              ? { exception: `reviewed after the policy's limit of ${maxHours} h` }
              : {}),
      };
    }
    const age = i.asOf.getTime() - opened;
    const overdue = item.status?.state === 'Exception' || age > maxHours * 3600_000;
    return {
      ...base,
      state: 'Open',
      timeToReviewMs: Math.max(0, i.asOf.getTime() - Date.parse(d.time)),
      ...(overdue ? { exception: `open past the policy's limit of ${maxHours} h` } : {}),
    };
  }

  const empty = (): ControlReview => ({ population: 0, reviewed: 0, open: 0, exceptions: 0, reviewers: [] });
  const byControl = { 'CC6.1': empty(), 'CC6.3': empty(), 'CC7.2': empty() };
  for (const d of deviations) {
    const c = byControl[d.control];
    c.population++;
    if (d.reviewedBy) c.reviewed++;
    else c.open++;
    if (d.exception) c.exceptions++;
    if (d.reviewedBy && !c.reviewers.includes(d.reviewedBy)) c.reviewers.push(d.reviewedBy);
  }
  return { deviations, byControl, notes, exceptions: deviations.filter((d) => d.exception).length };
}

/**
 * The same agent, policy, kind and rule (and UTC day, when matching without a hash: the operator may
 * file a record from a proxy whose clock ran ahead under its own day); a field the chain record does
 * not carry matches any value.
 */
function sameGroup(d: ChainDeviation, r: DeviationReview, day: boolean): boolean {
  return (
    r.spec.kind === d.kind &&
    (!day || r.spec.day === d.day) &&
    r.spec.rule === d.rule &&
    (d.namespace === undefined || r.metadata.namespace === undefined || r.metadata.namespace === d.namespace) &&
    (d.policy === undefined || r.spec.policyRef?.name === undefined || r.spec.policyRef.name === d.policy) &&
    (d.serviceAccount === undefined || r.spec.agent.serviceAccount === d.serviceAccount)
  );
}

/** A deviation only its item records (filed by the operator without an audit record). */
function itemDeviation(
  r: DeviationReview,
  d: NonNullable<NonNullable<DeviationReview['status']>['deviations']>[number],
  t: number,
): ChainDeviation {
  const kind = (r.spec.kind in CONTROL_OF ? r.spec.kind : 'AuditFailure') as DeviationKind;
  return {
    hash: '',
    fromItem: true,
    time: new Date(t).toISOString(),
    kind,
    ...(r.metadata.namespace ? { namespace: r.metadata.namespace } : {}),
    serviceAccount: r.spec.agent.serviceAccount,
    agent: r.spec.agent.serviceAccount,
    ...(r.spec.policyRef?.name ? { policy: r.spec.policyRef.name } : {}),
    rule: r.spec.rule,
    day: r.spec.day,
    statement: d.statement ?? d.reason ?? '',
    ...(d.triggeredBy ? { triggeredBy: d.triggeredBy } : {}),
    ...(d.session ? { session: d.session } : {}),
  };
}

/** `kubectl get deviationreviews -A -o json` (a List), a bare array, or one object. */
export function parseReviews(json: unknown): DeviationReview[] {
  const items = Array.isArray(json)
    ? json
    : (json as { items?: unknown })?.items !== undefined
      ? (json as { items: unknown }).items
      : [json];
  if (!Array.isArray(items))
    throw new Error('reviews: expected a List of DeviationReview objects (kubectl get deviationreviews -A -o json)');
  return items.map((x, n) => {
    const r = x as DeviationReview;
    if (!r?.metadata?.name || !r.spec?.kind || !r.spec?.day || typeof r.spec?.agent?.serviceAccount !== 'string')
      throw new Error(
        `reviews: item ${n} is not a DeviationReview (metadata.name, spec.agent.serviceAccount, spec.kind, spec.day needed)`,
      );
    return r;
  });
}

/** 2 d 3 h, 4 h 05 min, 12 min, 40 s. */
export function humanDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${String(m % 60).padStart(2, '0')} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}
