/**
 * Review of deviations as an auditor tests it: the population is every deviation in the audit chain for
 * the period (never the review queue's own count), each matched to the DeviationReview item that covers
 * it — by the chained record's hash, or, for an item whose list was truncated (count > deviations
 * listed), by (agent, kind, rule, UTC day) up to the number the item leaves unlisted. A deviation no item
 * covers was not reported for review: an exception, as is an item still open past its policy's
 * maxOpenHours, a review made after that limit, a decision without an admission-stamped reviewer, and a
 * review by the agent itself or the person who triggered its run. A deviation that happened after its
 * item was decided was not seen by that reviewer: it counts as open.
 */
import { isTriggerer } from '../../shared/identity/trigger-username.js';
import type { AuditRecord } from './record.js';

export type DeviationKind = 'Denial' | 'IdentityRefused' | 'ApprovalExpired' | 'ApprovalDenied' | 'CapExceeded' | 'AuditFailure';

/** The DeviationReview object as agreed (docs: /work/briefs/deviation-review-shape.md), as far as the report reads it. */
export interface DeviationReview {
  metadata: { name: string; namespace?: string; creationTimestamp?: string; labels?: Record<string, string> };
  spec: {
    policyRef?: { name: string };
    agent: { serviceAccount: string };
    kind: DeviationKind | string;
    rule: string;
    day: string;
    decision?: { state?: string; comment?: string; ticket?: string; reviewedBy?: string; reviewedGroups?: string[]; reviewedAt?: string };
  };
  status?: {
    state?: string;
    count?: number;
    firstSeen?: string;
    lastSeen?: string;
    deviations?: { time?: string; auditHash?: string; session?: string; pod?: string; statement?: string; reason?: string; triggeredBy?: string }[];
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
  hash: string;
  time: string;
  kind: DeviationKind;
  namespace?: string;
  serviceAccount?: string;
  /** Who the agent is for the reader: the service account, else the token's subject. */
  agent: string;
  policy?: string;
  rule?: string;
  day: string;
  statement: string;
  triggeredBy?: string;
  session?: string;
}

/** The deviation a chain record is, if it is one. */
export function deviationOf(r: AuditRecord): ChainDeviation | undefined {
  const kind = kindOf(r);
  if (!kind) return undefined;
  const k8s = r.principal?.kubernetes;
  const namespace = k8s?.namespace ?? r.policy?.namespace;
  const rule = kind === 'CapExceeded' ? String((r.detail as { limit?: unknown } | undefined)?.limit ?? r.rule?.name ?? '') || undefined : kind === 'IdentityRefused' || kind === 'AuditFailure' ? undefined : r.rule?.name;
  const session = typeof r.session === 'object' ? r.session?.id : (r.session as string | undefined);
  return {
    hash: r.hash,
    time: r['@timestamp'],
    kind,
    ...(namespace ? { namespace } : {}),
    ...(k8s?.serviceAccount ? { serviceAccount: k8s.serviceAccount } : {}),
    agent: k8s?.serviceAccount ?? r.principal?.sub ?? '(not identified)',
    ...(r.policy?.name ? { policy: r.policy.name } : {}),
    ...(rule ? { rule } : {}),
    day: r['@timestamp'].slice(0, 10),
    statement: r.db?.query?.text ?? r.message ?? '',
    ...(r.principal?.triggeredBy?.sub ? { triggeredBy: r.principal.triggeredBy.sub } : {}),
    ...(session ? { session } : {}),
  };
}

function kindOf(r: AuditRecord): DeviationKind | undefined {
  switch (r.event.action) {
    case 'statement.decision':
      // A RequireApproval the proxy holds for a decision is the policy working; its outcome (expired,
      // denied) is the deviation. Without an approval system it is enforced as a denial.
      return r.enforced === true && (r.decision === 'Deny' || (r.decision === 'RequireApproval' && !(r.detail as { approvalRequest?: unknown } | undefined)?.approvalRequest)) ? 'Denial' : undefined;
    case 'identity.rejected':
      return 'IdentityRefused';
    case 'approval.decided':
      return r.message === 'Expired' || r.message === 'Timeout' ? 'ApprovalExpired' : r.message === 'Denied' ? 'ApprovalDenied' : undefined;
    case 'statement.cap-exceeded':
      return 'CapExceeded';
    case 'audit.checkpoint-failed':
      return 'AuditFailure';
    default:
      return undefined;
  }
}

export type ReviewState = 'Acknowledged' | 'Escalated' | 'Open' | 'Not reported for review';

export interface ReviewedDeviation extends ChainDeviation {
  control: 'CC6.1' | 'CC6.3' | 'CC7.2';
  /** namespace/name of the review item covering it. */
  item?: string;
  matchedBy?: 'audit hash' | 'agent, kind, rule and day';
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
}

const REVIEWED = new Set(['Acknowledged', 'Escalated']);
const itemName = (r: DeviationReview): string => `${r.metadata.namespace ?? ''}/${r.metadata.name}`;
const saUser = (ns: string | undefined, sa: string): string => `system:serviceaccount:${ns ?? ''}:${sa}`;

export function reviewDeviations(i: ReviewInput): ReviewFindings {
  const population = i.records.map(deviationOf).filter((d): d is ChainDeviation => !!d).sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
  const notes: string[] = [];
  const byHash = new Map<string, DeviationReview>();
  for (const r of i.reviews) {
    for (const d of r.status?.deviations ?? []) {
      if (!d.auditHash) continue;
      const other = byHash.get(d.auditHash);
      if (other && other !== r) notes.push(`audit record ${d.auditHash.slice(0, 12)}… is listed by two review items (${itemName(other)}, ${itemName(r)}); the first is used`);
      else byHash.set(d.auditHash, r);
    }
    if (!(r.spec.kind in CONTROL_OF)) notes.push(`review item ${itemName(r)} has an unknown kind ${JSON.stringify(r.spec.kind)}`);
  }
  // What each truncated item leaves unlisted: it covers at most that many more, of its own group.
  const unlisted = new Map(i.reviews.map((r) => [r, Math.max(0, (r.status?.count ?? 0) - (r.status?.deviations?.length ?? 0))]));
  const inChain = new Set(population.map((d) => d.hash));
  const matched = new Map<ChainDeviation, { item: DeviationReview; by: ReviewedDeviation['matchedBy'] }>();
  for (const d of population) {
    const item = byHash.get(d.hash);
    if (item) matched.set(d, { item, by: 'audit hash' });
  }
  // Newest first: a truncated item lists its most recent deviations, so what it leaves out is older.
  for (const d of [...population].reverse()) {
    if (matched.has(d)) continue;
    const item = i.reviews.find((r) => (unlisted.get(r) ?? 0) > 0 && sameGroup(d, r));
    if (!item) continue;
    unlisted.set(item, unlisted.get(item)! - 1);
    matched.set(d, { item, by: 'agent, kind, rule and day' });
  }
  const from = population.length ? Date.parse(population[0]!.time) : i.asOf.getTime();
  for (const r of i.reviews) {
    const absent = (r.status?.deviations ?? []).filter((d) => d.auditHash && !inChain.has(d.auditHash) && (!d.time || Date.parse(d.time) >= from));
    if (absent.length) notes.push(`review item ${itemName(r)} lists ${absent.length} audit record(s) not in the audit logs given (e.g. ${absent[0]!.auditHash!.slice(0, 12)}…)`);
  }

  const deviations = population.map((d): ReviewedDeviation => {
    const control = CONTROL_OF[d.kind];
    const m = matched.get(d);
    if (!m) return { ...d, control, state: 'Not reported for review', exception: 'not reported for review: no review item covers this deviation' };
    const { item } = m;
    const maxHours = i.maxOpenHours?.(item.metadata.namespace ?? d.namespace, item.spec.policyRef?.name ?? d.policy) ?? DEFAULT_MAX_OPEN_HOURS;
    const opened = Date.parse(item.status?.firstSeen ?? '') || Date.parse(d.time);
    const dec = item.spec.decision;
    const base = { ...d, control, item: itemName(item), matchedBy: m.by };
    const decided = !!dec?.state && REVIEWED.has(dec.state);
    if (decided && (!dec.reviewedBy || !dec.reviewedAt || Number.isNaN(Date.parse(dec.reviewedAt)))) {
      return { ...base, state: 'Open', exception: 'decision without the reviewer and time stamped at admission: not a review' };
    }
    if (decided && Date.parse(d.time) > Date.parse(dec.reviewedAt!)) {
      const age = i.asOf.getTime() - Date.parse(d.time);
      return {
        ...base, state: 'Open', note: `happened after the item was reviewed (${dec.reviewedAt} by ${dec.reviewedBy})`, timeToReviewMs: Math.max(0, age),
        ...(age > maxHours * 3600_000 ? { exception: `open past the policy's limit of ${maxHours} h (happened after the item's review)` } : {}),
      };
    }
    if (decided) {
      const at = Date.parse(dec.reviewedAt!);
      const note = [dec.comment, dec.ticket ? `ticket ${dec.ticket}` : ''].filter(Boolean).join('; ');
      // The same test admission applies: the agent's service account, or the trigger under any username form.
      const triggerers = [d.triggeredBy, ...(item.status?.deviations ?? []).map((x) => x.triggeredBy)].filter((t): t is string => !!t);
      const self = dec.reviewedBy === saUser(item.metadata.namespace ?? d.namespace, item.spec.agent.serviceAccount) || triggerers.some((t) => isTriggerer(dec.reviewedBy!, { sub: t }));
      const late = at - opened > maxHours * 3600_000;
      return {
        ...base, state: dec.state as ReviewState, reviewedBy: dec.reviewedBy!, reviewedAt: dec.reviewedAt!, timeToReviewMs: Math.max(0, at - Date.parse(d.time)),
        ...(note ? { note } : {}),
        ...(self ? { exception: 'self-review: reviewed by the agent or the person who triggered its run' } : late ? { exception: `reviewed after the policy's limit of ${maxHours} h` } : {}),
      };
    }
    const age = i.asOf.getTime() - opened;
    const overdue = item.status?.state === 'Exception' || age > maxHours * 3600_000;
    return { ...base, state: 'Open', timeToReviewMs: Math.max(0, i.asOf.getTime() - Date.parse(d.time)), ...(overdue ? { exception: `open past the policy's limit of ${maxHours} h` } : {}) };
  });

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

/** The same agent, kind, rule and day; a field the chain record does not carry matches any value. */
function sameGroup(d: ChainDeviation, r: DeviationReview): boolean {
  return r.spec.kind === d.kind && r.spec.day === d.day
    && (d.namespace === undefined || r.metadata.namespace === undefined || r.metadata.namespace === d.namespace)
    && (d.serviceAccount === undefined || r.spec.agent.serviceAccount === d.serviceAccount)
    && (d.rule === undefined || r.spec.rule === d.rule);
}

/** `kubectl get deviationreviews -A -o json` (a List), a bare array, or one object. */
export function parseReviews(json: unknown): DeviationReview[] {
  const items = Array.isArray(json) ? json : (json as { items?: unknown })?.items !== undefined ? (json as { items: unknown }).items : [json];
  if (!Array.isArray(items)) throw new Error('reviews: expected a List of DeviationReview objects (kubectl get deviationreviews -A -o json)');
  return items.map((x, n) => {
    const r = x as DeviationReview;
    if (!r?.metadata?.name || !r.spec?.kind || !r.spec?.day || typeof r.spec?.agent?.serviceAccount !== 'string') throw new Error(`reviews: item ${n} is not a DeviationReview (metadata.name, spec.agent.serviceAccount, spec.kind, spec.day needed)`);
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
