/**
 * The evidence export: from verified audit logs (and, when given, the cluster's ApprovalRequests and
 * policies) a machine-readable bundle and one self-contained HTML report, organized by SOC 2 control.
 * Statement text in the records is already masked; the report only escapes and counts.
 */
import { csvCell } from './csv-cell.js';
import type { ChainVerification } from './chains.js';
import type { CheckpointVerification } from './checkpoint-verify.js';
import type { AuditRecord } from './record.js';
import type { RecordingsVerification } from './recordings.js';
import {
  humanDuration,
  KIND_LABEL,
  reviewDeviations,
  type DeviationReview,
  type ReviewedDeviation,
  type ReviewFindings,
} from './deviation-review.js';
import { listSessions } from './sessions.js';
import {
  completionStatuses,
  OPERATION_CSV_HEADER,
  operationCell,
  operationColumns,
  operationCsv,
  type OperationColumns,
} from './operation-columns.js';

export interface EvidenceInput {
  records: AuditRecord[];
  /** Every chain in the input (hashes, links, signed checkpoints against the witness) and the recordings. */
  verification: EvidenceVerification;
  from: Date;
  to: Date;
  /** How the period's start was set: asked for (--from), or the earliest record exported (audit log or cluster). */
  fromSource?: 'asked' | 'first record';
  namespace?: string;
  /** DeviationReview items (the cluster's, or `kubectl get deviationreviews -A -o json`); absent: review not assessed. */
  reviews?: DeviationReview[];
  /** Where `reviews` were read (said in the report). */
  reviewsFrom?: string;
  /** ApprovalRequests from the cluster (optional). */
  approvals?: {
    metadata: { name?: string; namespace?: string; creationTimestamp?: string };
    spec: {
      rule: string;
      requester: { subject: string };
      command: { summary?: string; text: string };
      decisions?: { user: string; decision: string; comment?: string; time: string }[];
    };
    status?: { phase?: string; decidedAt?: string };
  }[];
  /** AgentAccessPolicies from the cluster, with their change history (status.history). */
  policies?: {
    metadata: { name: string; namespace?: string; generation?: number };
    spec: { mode?: string; review?: { maxOpenHours?: number; reviewers?: { users?: string[]; groups?: string[] } } };
    status?: {
      history?: {
        generation: number;
        specSha256: string;
        changedBy?: string;
        changedAt?: string;
        outcome: string;
        observedAt: string;
      }[];
    };
  }[];
  generatedAt?: Date;
}

/** One rebuilt chain as verified: hashes and links, and its signed checkpoints when a witness was given. */
export interface ChainFinding extends ChainVerification {
  checkpointRecords: number;
  checkpoints?: CheckpointVerification;
}

export interface EvidenceVerification {
  ok: boolean;
  chains: ChainFinding[];
  /** Lines that fit no chain (gaps, forks, corrupt lines). */
  problems: string[];
  /** Streams the witness knows that the input lacks. */
  unseenStreams: string[];
  recordings?: RecordingsVerification;
}

export interface Evidence {
  summary: Record<string, unknown>;
  decisionsCsv: string;
  /** Every deviation in the period with its review (when review items were given). */
  deviationsCsv?: string;
  html: string;
}

/** How a time reads in tables (headers say UTC): 2026-11-30 09:12:03 (the bundle's JSON keeps RFC 3339). */
export const at = (iso: unknown): string => {
  const t = Date.parse(String(iso ?? ''));
  return Number.isNaN(t) ? String(iso ?? '') : new Date(t).toISOString().slice(0, 19).replace('T', ' ');
};
/** How a time reads in running text: 2026-11-30 09:12:03 UTC. */
export const when = (iso: unknown): string =>
  Number.isNaN(Date.parse(String(iso ?? ''))) ? String(iso ?? '') : `${at(iso)} UTC`;

const COUNT_LABEL: Record<string, string> = {
  records: 'audit records',
  decisions: 'statements decided',
  denials: 'statements denied',
  identityRejections: 'identities refused',
  protocolErrors: 'protocol errors',
  approvalsRequested: 'approvals requested',
  approvalsDecided: 'approvals decided',
  policyChanges: 'policy versions started',
  deviations: 'deviations',
  deviationExceptions: 'review exceptions',
};

const ACTION_LABEL: Record<string, string> = { 'proxy.start': 'proxy started', 'policy.updated': 'policy updated' };

const esc = (s: unknown): string => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function buildEvidence(i: EvidenceInput): Evidence {
  const v = i.verification;
  const rec = v.recordings;
  // Changes in the period from the cluster's record; a change nobody is named for is an exception.
  const clusterChanges = (i.policies ?? [])
    .flatMap((p) =>
      (p.status?.history ?? []).map((h) => ({ policy: `${p.metadata.namespace ?? ''}/${p.metadata.name}`, ...h })),
    )
    .filter((h) => {
      const t = Date.parse(h.changedAt ?? h.observedAt);
      return t >= i.from.getTime() && t <= i.to.getTime();
    })
    .sort((a, b) => Date.parse(a.changedAt ?? a.observedAt) - Date.parse(b.changedAt ?? b.observedAt));
  const unattributed = clusterChanges.filter((h) => !h.changedBy);
  const integrityProblems = [
    ...v.chains.flatMap((c) => [
      ...(c.broken ? [`${c.stream ?? 'chain'}: ${c.broken.reason} (${c.broken.file} line ${c.broken.line})`] : []),
      ...(c.checkpoints?.problems ?? []),
    ]),
    ...v.problems,
    ...(rec?.problems ?? []),
  ];
  const totalRecords = v.chains.reduce((n, c) => n + c.records, 0);
  const inRange = i.records.filter((r) => {
    const t = Date.parse(r['@timestamp']);
    return (
      t >= i.from.getTime() &&
      t <= i.to.getTime() &&
      (!i.namespace || r.policy?.namespace === undefined || r.policy.namespace === i.namespace)
    );
  });
  const decisions = inRange.filter((r) => r.event.action === 'statement.decision');
  const denials = decisions.filter((r) => r.enforced);
  const statusOf = completionStatuses(inRange);
  const operation = (r: AuditRecord): OperationColumns => operationColumns(r, statusOf);
  const recordByHash = new Map(inRange.map((r) => [r.hash, r]));
  /** What a deviation's row says it was: HTTP and MCP in their own terms, SQL its statement text. */
  const deviationWhat = (d: { hash: string; statement: string }): string => {
    const r = recordByHash.get(d.hash);
    const c = r && operation(r);
    return c && (c.protocol === 'http' || c.protocol === 'mcp') ? operationCell(r, c) : d.statement;
  };
  const identityRejections = inRange.filter((r) => r.event.action === 'identity.rejected');
  const protocolErrors = inRange.filter((r) => r.event.action === 'protocol.error');
  const policyChanges = inRange.filter((r) => r.event.action === 'proxy.start' || r.event.action === 'policy.updated');
  const requested = inRange.filter((r) => r.event.action === 'approval.requested');
  const decided = inRange.filter((r) => r.event.action === 'approval.decided');
  const sessions = listSessions(inRange);
  const principals = [...new Set(decisions.map((r) => r.principal?.sub).filter(Boolean))];
  const byRule = countBy(denials, (r) => r.rule?.name ?? '?');
  const overTime = countBy(decisions, (r) => r['@timestamp'].slice(0, 16).replace('T', ' '));
  const approvals = (i.approvals ?? []).map((a) => {
    const created = Date.parse(a.metadata.creationTimestamp ?? '');
    const decidedAt = Date.parse(a.status?.decidedAt ?? '');
    return {
      name: `${a.metadata.namespace}/${a.metadata.name}`,
      rule: a.spec.rule,
      requester: a.spec.requester.subject,
      command: a.spec.command.summary ?? a.spec.command.text,
      phase: a.status?.phase ?? 'Pending',
      decisions: a.spec.decisions ?? [],
      latencySeconds: Number.isFinite(created) && Number.isFinite(decidedAt) ? (decidedAt - created) / 1000 : undefined,
    };
  });

  // Each request with its outcome: the proxy's decided record, else the cluster object (a request the
  // cluster garbage-collected after its retention is still listed from the log).
  type Decision = { user: string; decision?: string; comment?: string };
  const reqName = (r: AuditRecord): string =>
    String((r.detail as { approvalRequest?: string } | undefined)?.approvalRequest ?? '');
  const decidedBy = new Map(decided.map((r) => [reqName(r), r]));
  const clusterBy = new Map(approvals.map((a) => [a.name, a]));
  const approvalRows = requested.map((r) => {
    const d = decidedBy.get(reqName(r));
    const a = clusterBy.get(reqName(r));
    const who = ((d?.detail as { decisions?: Decision[] } | undefined)?.decisions ?? a?.decisions ?? [])
      .map((x: Decision) => `${x.user}${x.decision ? ` ${x.decision}` : ''}${x.comment ? ` (${x.comment})` : ''}`)
      .join('; ');
    return [
      r['@timestamp'],
      reqName(r),
      r.principal?.sub,
      r.rule?.name,
      r.db?.query?.text,
      d?.message ?? a?.phase ?? 'no decision in this period',
      who,
    ];
  });

  const generatedAt = i.generatedAt ?? new Date();
  const maxOpenHours = (namespace: string | undefined, name: string | undefined): number | undefined =>
    i.policies?.find((p) => p.metadata.name === name && p.metadata.namespace === namespace)?.spec.review?.maxOpenHours;
  const reviewers = i.policies
    ? (namespace: string | undefined, name: string | undefined) =>
        i.policies!.find((p) => p.metadata.name === name && p.metadata.namespace === namespace)?.spec.review?.reviewers
    : undefined;
  const review: ReviewFindings | undefined = i.reviews
    ? reviewDeviations({
        records: inRange,
        reviews: i.reviews.filter((r) => !i.namespace || r.metadata.namespace === i.namespace),
        maxOpenHours,
        ...(reviewers ? { reviewers } : {}),
        asOf: generatedAt,
        period: { from: i.from, to: i.to },
      })
    : undefined;

  const summary = {
    period: { from: i.from.toISOString(), to: i.to.toISOString(), fromSource: i.fromSource ?? 'asked' },
    ...(i.namespace ? { namespace: i.namespace } : {}),
    integrity: {
      ok: v.ok,
      chains: v.chains.map((c) => ({
        stream: c.stream,
        firstSeq: c.firstSeq,
        records: c.records,
        ok: c.ok,
        lastHash: c.lastHash,
        ...(c.broken ? { broken: c.broken } : {}),
        checkpoints: c.checkpoints
          ? {
              ok: c.checkpoints.ok,
              verified: c.checkpoints.checkpoints,
              witnessed: c.checkpoints.witnessed,
              unwitnessedTail: c.checkpoints.unwitnessedTail,
              problems: c.checkpoints.problems,
            }
          : { ok: undefined, inLog: c.checkpointRecords, note: 'not checked: no witness copy given' },
      })),
      problems: v.problems,
      unseenStreams: v.unseenStreams,
      ...(rec
        ? {
            recordings: {
              ok: rec.ok,
              sessions: rec.sessions,
              lines: rec.lines,
              problems: rec.problems,
              incomplete: rec.incomplete,
              repaired: rec.repaired,
            },
          }
        : {}),
    },
    ...(i.policies ? { policyChanges: clusterChanges, unattributedPolicyChanges: unattributed.length } : {}),
    counts: {
      records: inRange.length,
      decisions: decisions.length,
      denials: denials.length,
      identityRejections: identityRejections.length,
      protocolErrors: protocolErrors.length,
      approvalsRequested: requested.length,
      approvalsDecided: decided.length,
      policyChanges: policyChanges.length,
      ...(review ? { deviations: review.deviations.length, deviationExceptions: review.exceptions } : {}),
    },
    principals,
    denialsByRule: byRule,
    review: review
      ? {
          assessed: true,
          ...(i.reviewsFrom ? { from: i.reviewsFrom } : {}),
          byControl: review.byControl,
          exceptions: review.exceptions,
          notReportedForReview: review.deviations.filter((d) => d.state === 'Not reported for review').length,
          notes: review.notes,
        }
      : { assessed: false, note: 'no review items given (--reviews FILE or --cluster)' },
  };

  const decisionsCsv =
    [
      `time,seq,session,principal,triggered_by,target,decision,enforced,rule,effects,tables,statement,${OPERATION_CSV_HEADER}`,
    ]
      .concat(
        decisions.map((r) =>
          [
            r['@timestamp'],
            r.seq,
            typeof r.session === 'object' ? r.session?.id : r.session,
            r.principal?.sub,
            r.principal?.triggeredBy?.sub,
            r.target,
            r.decision,
            r.enforced,
            r.rule?.name,
            (r.effects ?? []).join(' '),
            (r.tables ?? []).join(' '),
            r.db?.query?.text,
            ...operationCsv(operation(r)),
          ]
            .map(csvCell)
            .join(','),
        ),
      )
      .join('\n') + '\n';
  const deviationsCsv = review
    ? [
        `time,control,kind,agent,namespace,rule,statement,audit_hash,review_item,matched_by,state,reviewed_by,reviewed_at,time_to_review_seconds,exception,${OPERATION_CSV_HEADER}`,
      ]
        .concat(
          review.deviations.map((d) =>
            [
              d.time,
              d.control,
              d.kind,
              d.agent,
              d.namespace,
              d.rule,
              d.statement,
              d.hash,
              d.item,
              d.matchedBy,
              d.state,
              d.reviewedBy,
              d.reviewedAt,
              d.timeToReviewMs === undefined ? '' : Math.round(d.timeToReviewMs / 1000),
              d.exception,
              ...(recordByHash.has(d.hash) ? operationCsv(operation(recordByHash.get(d.hash)!)) : []),
            ]
              .map(csvCell)
              .join(','),
          ),
        )
        .join('\n') + '\n'
    : undefined;

  // Header rows repeat on every printed page (thead), and no row is split across pages (print CSS).
  // Column classes: t = a time (one line), x = long text that may break anywhere (statements, names, ids).
  const table = (head: string[], rows: unknown[][], cols = '', cls = ''): string => {
    const c = (n: number): string => ({ t: ' class="t"', x: ' class="x"' })[cols[n] as 't' | 'x'] ?? '';
    return rows.length
      ? `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${head.map((h, n) => `<th${c(n)}>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((v, n) => `<td${c(n)}>${esc(v)}</td>`).join('')}</tr>`).join('')}</tbody></table>`
      : '<p class="none">None in this period.</p>';
  };

  const control = (id: string, title: string, what: string, body: string, exceptions: number): string =>
    `<section><h2>${esc(id)} — ${esc(title)} <span class="${exceptions ? 'warn' : 'ok'}">${exceptions ? `${exceptions} exception(s)` : 'no exceptions'}</span></h2><p class="what">${esc(what)}</p>${body}</section>`;

  const reviewState = (d: ReviewedDeviation): string => (d.note ? `${d.state} (${d.note})` : d.state);
  const reviewBlock = (id: 'CC6.1' | 'CC6.3' | 'CC7.2'): string => {
    if (!review)
      return '<h3>Review of deviations</h3><p class="none">Review not assessed: no review items were given (export with --reviews FILE or --cluster).</p>';
    const c = review.byControl[id];
    const rows = review.deviations.filter((d) => d.control === id);
    const open = rows.filter((d) => d.exception);
    return (
      `<div class="keep"><h3>Review of deviations</h3><p>Population: every deviation in the audit chain for the period, <b>${esc(c.population)}</b>. Reviewed: ${esc(c.reviewed)}${c.reviewers.length ? ` (by ${esc(c.reviewers.join(', '))})` : ''}. Not yet reviewed: ${esc(c.open)}. Exceptions: <b class="${c.exceptions ? 'warn' : 'ok'}">${esc(c.exceptions)}</b>.</p></div>` +
      table(
        [
          'Time (UTC)',
          'Deviation',
          'Agent',
          'Rule',
          'Statement or reason (masked)',
          'Review item',
          'Review',
          'Reviewed by',
          'Reviewed at (UTC)',
          'Time to review',
          'Exception',
        ],
        rows.map((d) => [
          at(d.time),
          KIND_LABEL[d.kind],
          d.agent,
          d.rule ?? '',
          deviationWhat(d),
          d.item ?? '',
          reviewState(d),
          d.reviewedBy ?? '',
          d.reviewedAt ? at(d.reviewedAt) : '',
          d.timeToReviewMs === undefined
            ? ''
            : d.reviewedBy
              ? humanDuration(d.timeToReviewMs)
              : `open for ${humanDuration(d.timeToReviewMs)}`,
          d.exception ?? '',
        ]),
        't   xx  t',
        'review',
      ) +
      (open.length
        ? `<h3>Exceptions</h3>${table(
            ['Time (UTC)', 'Deviation', 'Agent', 'Rule', 'Review item', 'Exception'],
            open.map((d) => [at(d.time), KIND_LABEL[d.kind], d.agent, d.rule ?? '', d.item ?? 'none', d.exception]),
            't   x',
          )}`
        : '')
    );
  };
  const reviewExceptions = (id: 'CC6.1' | 'CC6.3' | 'CC7.2'): number => review?.byControl[id].exceptions ?? 0;
  const period = `${when(summary.period.from)} to ${when(summary.period.to)}`;

  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>agentgate access evidence, ${esc(period)}</title>
<style>body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:70rem;color:#1b1f24}h1{font-size:1.6rem}h2{font-size:1.15rem;border-bottom:1px solid #d0d7de;padding-bottom:.3rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}td,th{border:1px solid #d0d7de;padding:.25rem .4rem;text-align:left;vertical-align:top;font-size:12px;overflow-wrap:break-word}th{background:#f6f8fa}td.x{overflow-wrap:anywhere}.t{white-space:nowrap}
table.review td,table.review th{font-size:10.5px;padding:.2rem .3rem}
.ok{color:#1a7f37;font-size:.8rem}.warn{color:#bc4c00;font-size:.8rem}.what{color:#57606a}.none{color:#57606a;font-style:italic}.cards{display:flex;gap:1rem;flex-wrap:wrap}.card{border:1px solid #d0d7de;border-radius:6px;padding:.6rem 1rem}.card b{display:block;font-size:1.4rem}
@page{size:A4 landscape;margin:14mm 12mm}
@media print{body{margin:0;max-width:none;font-size:12px}h2{break-before:auto}thead{display:table-header-group}tr,.card,svg,li,.keep{break-inside:avoid}h2,h3{break-after:avoid}p{orphans:3;widows:3}th{background:#f6f8fa;-webkit-print-color-adjust:exact;print-color-adjust:exact}}</style></head><body>
<h1>agentgate — access evidence</h1>
<p>Period: ${esc(period)}${i.fromSource === 'first record' ? ' (no start was asked for: the period starts at the earliest record exported)' : ''}${i.namespace ? `, namespace ${esc(i.namespace)}` : ''}. Generated ${esc(when(generatedAt.toISOString()))}.
Audit trail: <b class="${v.ok ? 'ok' : 'warn'}">${v.ok ? `verified (${v.chains.length} chain(s), ${totalRecords} records)` : `${integrityProblems.length} integrity exception(s), see CC7.2`}</b>.
Deviation review: ${review ? `<b class="${review.exceptions ? 'warn' : 'ok'}">${review.deviations.length} deviation(s), ${review.exceptions} exception(s)</b>${i.reviewsFrom ? `, review items from ${esc(i.reviewsFrom)}` : ''}` : '<span class="none">not assessed (no review items given)</span>'}.</p>
<div class="cards">${Object.entries(summary.counts)
    .map(([k, n]) => `<div class="card"><b>${esc(n)}</b>${esc(COUNT_LABEL[k] ?? k)}</div>`)
    .join('')}</div>
${review?.notes.length ? `<h3>Review items</h3><ul>${review.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : ''}
<h2>Decisions over time (per minute, UTC)</h2>${barChart(overTime, 'decisions per minute')}
${control(
  'CC6.1',
  'Logical access',
  'Every agent connection presents a short-lived, verified identity (the agent, its pod, and the person who triggered the run); failures are refused, recorded and reviewed.',
  `<p>Agent identities seen: ${principals.map(esc).join(', ') || 'none'}.</p><h3>Sessions</h3>${table(
    ['Opened (UTC)', 'Closed (UTC)', 'Agent', 'Pod', 'Triggered by', 'Target', 'Statements', 'Denied', 'Session'],
    sessions.map((x) => [
      at(x.opened),
      at(x.closed),
      x.principal?.sub,
      x.principal?.kubernetes ? `${x.principal.kubernetes.namespace}/${x.principal.kubernetes.pod ?? ''}` : '',
      x.principal?.triggeredBy?.sub ?? '',
      x.target,
      x.statements,
      x.denied,
      x.session,
    ]),
    'tt x    x',
  )}<h3>Refused identities</h3>${table(
    ['Time (UTC)', 'Target', 'Reason'],
    identityRejections.map((r) => [at(r['@timestamp']), r.target, r.message]),
    't x',
  )}${reviewBlock('CC6.1')}`,
  identityRejections.length + reviewExceptions('CC6.1'),
)}
${control(
  'CC6.3',
  'Least privilege and approvals',
  'Statements are decided by policy rules; what a rule denies never reaches the database; commands that need approval run only after authorized people decide; every deviation is reviewed by a person.',
  `<h3>Denials by rule</h3>${barChart(byRule, 'denials')}<h3>Every denial</h3>${table(
    ['Time (UTC)', 'Agent', 'Target', 'Rule', 'Effects or request', 'Statement (masked)'],
    denials.map((r) => [
      at(r['@timestamp']),
      r.principal?.sub,
      r.target,
      r.rule?.name,
      operationCell(r, operation(r)),
      r.db?.query?.text,
    ]),
    't    x',
  )}<h3>Every approval request in the audit log</h3>${table(
    ['Requested (UTC)', 'Request', 'Agent', 'Rule', 'Statement (masked)', 'Outcome', 'Decided by'],
    approvalRows.map(([t, ...rest]) => [at(t), ...rest]),
    'tx  x x',
  )}${
    approvals.length
      ? `<h3>ApprovalRequests in the cluster</h3>${barChart(Object.fromEntries(approvals.filter((a) => a.latencySeconds !== undefined).map((a) => [a.name, Math.round(a.latencySeconds!)])), 'approval latency (s)')}${table(
          ['Request', 'Rule', 'Requester', 'Command (masked)', 'Phase', 'Decided by'],
          approvals.map((a) => [
            a.name,
            a.rule,
            a.requester,
            a.command,
            a.phase,
            a.decisions
              .map((d) => `${d.user} ${d.decision}${d.comment ? ` (${d.comment})` : ''} at ${when(d.time)}`)
              .join('; '),
          ]),
          'x  x x',
        )}`
      : ''
  }${reviewBlock('CC6.3')}`,
  reviewExceptions('CC6.3'),
)}
${control(
  'CC7.2',
  'Monitoring',
  'A tamper-evident, hash-chained record of every decision and its outcome, signed at intervals by an independent witness so that a cut-off tail shows too; per-session recordings checked against the chain; protocol anomalies are recorded.',
  `<p>${esc(decisions.length)} decisions, ${esc(inRange.filter((r) => r.event.action === 'statement.completion').length)} completions recorded. Session recordings: ${rec ? `${esc(rec.sessions)} session(s), ${esc(rec.lines)} lines, ${rec.ok ? 'every line in the chain, none missing' : '<b class="warn">do not match the chain</b>'}` : 'none given'}.${v.unseenStreams.length ? ` The witness also holds checkpoints of ${esc(v.unseenStreams.length)} stream(s) whose logs were not given: ${esc(v.unseenStreams.join(', '))}.` : ''}</p>
<h3>Audit chains</h3>${table(
    [
      'Stream',
      'Records',
      'Hash chain',
      'Signed checkpoints',
      "Witness's latest head",
      'Records after the last signed head',
    ],
    v.chains.map((c) => [
      c.stream ?? '(unnamed)',
      `${c.records} (from record ${c.firstSeq})`,
      c.ok ? 'intact' : `BROKEN: ${c.broken?.reason ?? ''}`,
      c.checkpoints
        ? c.checkpoints.ok
          ? `${c.checkpoints.checkpoints} verified`
          : 'FAIL'
        : `${c.checkpointRecords} in the log, not checked against a witness`,
      c.checkpoints?.witnessed
        ? `record ${c.checkpoints.witnessed.seq}, signed ${when(c.checkpoints.witnessed.signedAt)}`
        : '',
      c.checkpoints?.unwitnessedTail ?? '',
    ]),
    'x x',
  )}
${integrityProblems.length ? `<h3>Integrity exceptions</h3><ul>${integrityProblems.map((p) => `<li>${esc(p)}</li>`).join('')}</ul>` : ''}<h3>Protocol errors</h3>${table(
    ['Time (UTC)', 'Target', 'What happened'],
    protocolErrors.map((r) => [at(r['@timestamp']), r.target, r.message]),
    't x',
  )}${reviewBlock('CC7.2')}`,
  protocolErrors.length + integrityProblems.length + reviewExceptions('CC7.2'),
)}
${control(
  'CC8.1',
  'Change management',
  "Every change to an access policy is recorded with who made it (stamped by the admission webhook from the API server's authenticated user), when, and the sha256 of the new spec; the proxies record which version they enforce from when.",
  `${
    i.policies
      ? `<h3>Changes recorded by the cluster</h3>${table(
          ['Changed at (UTC)', 'Policy', 'Version (generation)', 'Changed by', 'Outcome', 'Spec sha256'],
          clusterChanges.map((h) => [
            at(h.changedAt ?? h.observedAt),
            h.policy,
            h.generation,
            h.changedBy ?? 'NOT RECORDED (bypassed the webhook)',
            h.outcome,
            `${h.specSha256.slice(0, 16)}…`,
          ]),
          'tx   x',
        )}`
      : '<p class="none">Cluster not queried (run with --cluster for the change history).</p>'
  }<h3>Versions in force, as the proxies recorded them</h3>${table(
    ['Time (UTC)', 'Event', 'Policy', 'Version (generation)', 'Changed by', 'Mode'],
    policyChanges.map((r) => [
      at(r['@timestamp']),
      ACTION_LABEL[r.event.action] ?? r.event.action,
      `${r.policy?.namespace ?? ''}/${r.policy?.name ?? ''}`,
      r.policy?.generation ?? '',
      (r.detail as { change?: { changedBy?: string } } | undefined)?.change?.changedBy ?? '',
      r.policy?.mode ?? '',
    ]),
    't x',
  )}`,
  unattributed.length,
)}
</body></html>
`;
  return { summary, decisionsCsv, ...(deviationsCsv ? { deviationsCsv } : {}), html };
}

function countBy<T>(items: T[], key: (t: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const it of items) out[key(it)] = (out[key(it)] ?? 0) + 1;
  return out;
}

/** A small inline SVG bar chart (self-contained: no scripts, no external assets). */
function barChart(data: Record<string, number>, label: string): string {
  const entries = Object.entries(data);
  if (!entries.length) return '<p class="none">No data.</p>';
  const max = Math.max(...entries.map(([, v]) => v), 1);
  const w = 640;
  const row = 22;
  const h = entries.length * row + 10;
  const bars = entries
    .map(([k, v], n) => {
      const bw = Math.max(2, Math.round((v / max) * (w - 260)));
      return `<text x="0" y="${n * row + 15}" font-size="11">${esc(k.length > 34 ? `${k.slice(0, 33)}…` : k)}</text><rect x="220" y="${n * row + 4}" width="${bw}" height="14" fill="#0969da"/><text x="${226 + bw}" y="${n * row + 15}" font-size="11">${esc(v)}</text>`;
    })
    .join('');
  return `<svg role="img" aria-label="${esc(label)}" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">${bars}</svg>`;
}
