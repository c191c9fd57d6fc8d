/**
 * `agentgate evidence`: the auditor's bundle and report for a period (see proxy/audit/evidence.ts).
 * The bundle re-verifies offline: it holds the audit files as written, the session recordings and the
 * witness's checkpoints with its public keys, so `agentgate audit verify OUT/audit/* --witness
 * OUT/witness/checkpoints.jsonl` reproduces the report's integrity findings. The bundle is signed
 * (proxy/audit/manifest.ts) with the local witness key or a key directory given: `agentgate evidence
 * verify OUT --jwks FILE | --fingerprint THUMBPRINT` shows any file added, removed or changed since.
 * A cluster export is also countersigned by the operator (cli/commands/operator-countersign.ts). The
 * report is printed to PDF beside the HTML by headless Chromium (proxy/audit/report-pdf.ts).
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ensureLocalSigningKey } from '../../proxy/identity/local-key.js';
import { decodeProtectedHeader } from 'jose';
import {
  COUNTERSIGNATURE_FILE,
  signBundle,
  type ManifestCountersigner,
  type ManifestSigner,
} from '../../proxy/audit/manifest.js';
import { parseReviews, type DeviationReview } from '../../proxy/audit/deviation-review.js';
import { findChromium, printPdf } from '../../proxy/audit/report-pdf.js';
import { buildEvidence, type EvidenceInput, type EvidenceVerification } from '../../proxy/audit/evidence.js';
import { WITNESS_JWKS_FILE, WITNESS_KEY_FILE } from '../../proxy/audit/witnesses.js';
import type { RecordingsVerification } from '../../proxy/audit/recordings.js';
import { verifyAll, verified, type RecordingsCheck, type WitnessSource } from './audit.js';

const DEVIATION_REVIEW_PLURAL = 'deviationreviews';

export interface EvidenceCommand extends Omit<WitnessSource, 'cluster'> {
  auditFiles: string[];
  /** Start of the period; default: the earliest record exported (never 1970). */
  from?: Date;
  to: Date;
  /** DeviationReview items as `kubectl get deviationreviews -A -o json` prints them (else, with --cluster, listed there). */
  reviewsFile?: string;
  /** Print report.pdf with headless Chromium (default: when a Chromium is found). */
  pdf?: boolean;
  /** The operator that countersigns a cluster export: its URL, its CA (PEM file), the caller's token. */
  operatorUrl?: string;
  operatorCaFile?: string;
  operatorTokenFile?: string;
  namespace?: string;
  out: string;
  /** Also read ApprovalRequests, policies and the operator's checkpoints from the current kubeconfig's cluster. */
  cluster: boolean;
  recordingsDir?: string;
  /**
   * The key that signs the bundle's manifest (an ES256 key in the local witness's format, created here
   * if absent). Default: the local witness's key beside --witness FILE, when it is there.
   */
  signKeyDir?: string;
}

export interface EvidenceResult {
  ok: boolean;
  files: string[];
  summary: Record<string, unknown>;
  /** The signing key's RFC 7638 thumbprint (what a verifier pins), unless the bundle is unsigned. */
  signedBy?: string;
  /** The operator's key that countersigned (cluster exports). */
  countersignedBy?: string;
  /** Why there is no report.pdf, when there is none. */
  noPdf?: string;
  period: { from: Date; to: Date; fromSource: 'asked' | 'first record' };
}

/** The local witness's key (or the one asked for): what the bundle is signed with. */
async function manifestSigner(o: EvidenceCommand): Promise<ManifestSigner | undefined> {
  const dir = o.signKeyDir ?? (o.witnessFile ? dirname(o.witnessFile) : undefined);
  if (!dir || (!o.signKeyDir && !existsSync(join(dir, WITNESS_KEY_FILE)))) return undefined;
  const key = await ensureLocalSigningKey(dir, { key: WITNESS_KEY_FILE, jwks: WITNESS_JWKS_FILE });
  const jwks = JSON.parse(readFileSync(key.jwksFile, 'utf8')) as ManifestSigner['jwks'];
  return {
    kid: key.kid,
    key: key.privateKey,
    jwks: { keys: jwks.keys.filter((k) => k.kid === key.kid) },
    kind: o.signKeyDir ? `key in ${dir}` : `local witness key (${dir})`,
  };
}

export async function writeEvidence(o: EvidenceCommand): Promise<EvidenceResult> {
  // A bundle is exactly what this export wrote: files already there would be signed as part of it.
  if (existsSync(o.out) && readdirSync(o.out).length)
    throw new Error(`${o.out} is not empty: export into a new directory`);
  const signer = await manifestSigner(o);
  // The caller's token and the operator's keys are checked before anything is written.
  let countersigner: ManifestCountersigner | undefined;
  if (o.cluster && o.operatorUrl) {
    const { loadKubeConfig } = await import('../../shared/kube/client.js');
    const { operatorCountersigner } = await import('./operator-countersign.js');
    countersigner = await operatorCountersigner({
      url: o.operatorUrl,
      kc: loadKubeConfig(),
      ...(o.operatorCaFile ? { ca: readFileSync(o.operatorCaFile, 'utf8') } : {}),
      ...(o.operatorTokenFile ? { tokenFile: o.operatorTokenFile } : {}),
      ...(o.namespace ? { namespace: o.namespace } : {}),
    });
  }
  const v = await verifyAll(o.auditFiles, { ...o, clusterWitnessOptional: true });
  const { records } = v;
  let approvals: EvidenceInput['approvals'];
  let policies: EvidenceInput['policies'];
  let reviews: DeviationReview[] | undefined = o.reviewsFile
    ? parseReviews(JSON.parse(readFileSync(o.reviewsFile, 'utf8')))
    : undefined;
  // Where the review decisions come from, said in the report: a file is whatever the exporter handed in.
  let reviewsFrom: string | undefined = o.reviewsFile
    ? `the file ${basename(o.reviewsFile)} given to the export (not read from the cluster)`
    : undefined;
  if (o.cluster) {
    const { loadKubeConfig, statusOf } = await import('../../shared/kube/client.js');
    const { GROUP, VERSION, APPROVAL_PLURAL, POLICY_PLURAL } = await import('../../shared/contract/api.js');
    const { CustomObjectsApi } = await import('@kubernetes/client-node');
    const api = loadKubeConfig().makeApiClient(CustomObjectsApi);
    // In the namespace asked for, or in all of them.
    const list = async <T>(plural: string): Promise<T[]> =>
      (
        (o.namespace
          ? await api.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: o.namespace, plural })
          : await api.listClusterCustomObject({ group: GROUP, version: VERSION, plural })) as { items: T[] }
      ).items;
    approvals = await list<NonNullable<EvidenceInput['approvals']>[number]>(APPROVAL_PLURAL);
    // Change management: each policy's recorded history (who changed the spec, when, outcome).
    policies = await list<NonNullable<EvidenceInput['policies']>[number]>(POLICY_PLURAL);
    // Review items: a cluster without the DeviationReview kind holds none, so nothing was reported for review.
    reviewsFrom ??= "the cluster's DeviationReview objects";
    reviews ??= await list<DeviationReview>(DEVIATION_REVIEW_PLURAL).then(parseReviews, (e: unknown) => {
      if (statusOf(e) === 404) return [];
      throw e;
    });
  }
  // The period as asked; without --from, from the earliest item exported: the first audit record, or an
  // earlier policy change, approval request or review item of the cluster (an omitted start printed 1970).
  const times: (string | undefined)[] = [
    ...records.map((r) => r['@timestamp']),
    ...(approvals ?? []).map((a) => a.metadata.creationTimestamp),
    ...(policies ?? []).flatMap((p) => (p.status?.history ?? []).map((h) => h.changedAt ?? h.observedAt)),
    ...(reviews ?? []).map((r) => r.status?.firstSeen),
  ];
  const earliest = times.reduce((m, t) => Math.min(m, Date.parse(t ?? '') || Infinity), Infinity);
  const from = o.from ?? new Date(Math.min(earliest, o.to.getTime()));
  const fromSource = o.from ? ('asked' as const) : ('first record' as const);
  if (from.getTime() > o.to.getTime())
    throw new Error(`the period starts (${from.toISOString()}) after it ends (${o.to.toISOString()})`);
  const inPeriod = (iso: string | undefined): boolean => {
    const t = Date.parse(iso ?? '');
    return t >= from.getTime() && t <= o.to.getTime();
  };
  approvals = approvals?.filter((a) => inPeriod(a.metadata.creationTimestamp));
  const verification: EvidenceVerification = {
    ok: verified(v),
    chains: v.chains,
    problems: v.split.problems,
    unseenStreams: v.unseenStreams,
    ...(v.recordings.length ? { recordings: mergeRecordings(v.recordings) } : {}),
  };
  const ev = buildEvidence({
    records,
    verification,
    from,
    to: o.to,
    fromSource,
    ...(o.namespace ? { namespace: o.namespace } : {}),
    ...(approvals ? { approvals } : {}),
    ...(policies ? { policies } : {}),
    ...(reviews ? { reviews, ...(reviewsFrom ? { reviewsFrom } : {}) } : {}),
  });
  mkdirSync(o.out, { recursive: true });
  const files: string[] = [];
  const write = (name: string, text: string): void => {
    writeFileSync(join(o.out, name), text);
    files.push(name);
  };
  const inRange = records.filter((r) => inPeriod(r['@timestamp']));
  write('summary.json', `${JSON.stringify(ev.summary, null, 2)}\n`);
  write('decisions.csv', ev.decisionsCsv);
  write('records.jsonl', inRange.map((r) => JSON.stringify(r)).join('\n') + (inRange.length ? '\n' : ''));
  if (approvals) write('approvals.json', `${JSON.stringify(approvals, null, 2)}\n`);
  if (policies) write('policies.json', `${JSON.stringify(policies, null, 2)}\n`);
  if (reviews) write('reviews.json', `${JSON.stringify(reviews, null, 2)}\n`);
  if (ev.deviationsCsv) write('deviations.csv', ev.deviationsCsv);
  write('report.html', ev.html);
  const chromium = o.pdf === false ? undefined : findChromium();
  const noPdf =
    o.pdf === false
      ? 'not asked for (--no-pdf)'
      : !chromium
        ? 'no Chromium found (install chromium, or set AGENTGATE_CHROMIUM)'
        : undefined;
  if (chromium) {
    await printPdf(join(o.out, 'report.html'), join(o.out, 'report.pdf'), chromium);
    files.push('report.pdf');
  }
  // What re-verifies offline: the audit files byte for byte, the recordings, the witness's copy and keys.
  mkdirSync(join(o.out, 'audit'), { recursive: true });
  for (const f of o.auditFiles) copyFileSync(f, join(o.out, 'audit', basename(f)));
  files.push('audit/');
  // Each log's recordings into its own directory, as the proxy writes them: only those of its sessions.
  for (const rec of v.recordings) {
    for (const log of rec.logs) {
      mkdirSync(join(o.out, 'audit', 'sessions', log), { recursive: true });
      for (const f of rec.checked) copyFileSync(join(rec.dir, f), join(o.out, 'audit', 'sessions', log, f));
    }
  }
  if (v.recordings.length) files.push('audit/sessions/');
  const { witness } = v;
  if (witness) {
    mkdirSync(join(o.out, 'witness'), { recursive: true });
    writeFileSync(
      join(o.out, 'witness', 'checkpoints.jsonl'),
      witness.witnessed.map((w) => JSON.stringify(w)).join('\n') + (witness.witnessed.length ? '\n' : ''),
    );
    writeFileSync(join(o.out, 'witness', WITNESS_JWKS_FILE), `${JSON.stringify(witness.jwks, null, 2)}\n`);
    files.push('witness/');
  }
  if (signer || countersigner) {
    await signBundle(
      o.out,
      {
        exportedAt: new Date().toISOString(),
        period: { from: from.toISOString(), to: o.to.toISOString() },
        ...(o.namespace ? { namespace: o.namespace } : {}),
        source: o.cluster ? 'cluster' : 'local',
      },
      signer,
      countersigner,
    );
    files.push(
      'manifest-keys.json',
      'manifest.json',
      ...(signer ? ['manifest.jws'] : []),
      ...(countersigner ? [COUNTERSIGNATURE_FILE] : []),
    );
  }
  const countersignedBy = countersigner
    ? decodeProtectedHeader(readFileSync(join(o.out, COUNTERSIGNATURE_FILE), 'utf8').trim()).kid
    : undefined;
  return {
    ok: verified(v),
    files,
    summary: ev.summary,
    period: { from, to: o.to, fromSource },
    ...(signer ? { signedBy: signer.kid } : {}),
    ...(countersignedBy ? { countersignedBy } : {}),
    ...(noPdf ? { noPdf } : {}),
  };
}

function mergeRecordings(checks: RecordingsCheck[]): RecordingsVerification {
  return {
    ok: checks.every((c) => c.ok),
    sessions: checks.reduce((n, c) => n + c.sessions, 0),
    checked: checks.flatMap((c) => c.checked.map((f) => join(c.dir, f))),
    lines: checks.reduce((n, c) => n + c.lines, 0),
    foreign: checks.reduce((n, c) => n + c.foreign, 0),
    problems: checks.flatMap((c) => c.problems.map((p) => `${c.dir}: ${p}`)),
    incomplete: checks.flatMap((c) => c.incomplete.map((p) => `${c.dir}: ${p}`)),
    repaired: checks.flatMap((c) => c.repaired),
  };
}

export async function runEvidence(o: EvidenceCommand): Promise<number> {
  const r = await writeEvidence(o);
  process.stdout.write(
    `evidence written to ${o.out}: ${r.files.join(', ')}; audit integrity ${r.ok ? 'verified' : 'FAILED (see report.html, CC7.2)'}\n`,
  );
  process.stdout.write(
    `period ${r.period.from.toISOString()} to ${r.period.to.toISOString()}${r.period.fromSource === 'first record' ? ' (no --from: from the earliest record exported)' : ''}\n`,
  );
  if (r.noPdf) process.stdout.write(`no report.pdf: ${r.noPdf}\n`);
  const review = r.summary.review as { assessed: boolean; exceptions?: number; notReportedForReview?: number };
  process.stdout.write(
    review.assessed
      ? `deviation review: ${review.exceptions} exception(s), ${review.notReportedForReview} deviation(s) not reported for review\n`
      : 'deviation review not assessed (no --reviews FILE and no --cluster)\n',
  );
  if (r.countersignedBy)
    process.stdout.write(
      `bundle countersigned by the operator (manifest.operator.jws) with its audit key ${r.countersignedBy}: check it with \`agentgate evidence verify ${o.out} --fingerprint=${r.countersignedBy}\` (or --jwks with the operator's audit keys, from /.well-known/audit-keys.json)\n`,
    );
  else if (o.cluster)
    process.stdout.write(
      'bundle NOT countersigned by the operator (pass --operator-url and --operator-ca, or set AGENTGATE_OPERATOR_URL)\n',
    );
  if (r.signedBy)
    process.stdout.write(
      `bundle signed (manifest.json, manifest.jws) by key ${r.signedBy}: check it with \`agentgate evidence verify ${o.out} --fingerprint=${r.signedBy}\` (or --jwks with that key's public JWKS, kept apart from the bundle)\n`,
    );
  else if (!r.countersignedBy)
    process.stdout.write(
      'bundle NOT signed (no --sign-key-dir, and no local witness key beside --witness): `agentgate evidence verify` cannot vouch for it\n',
    );
  return r.ok ? 0 : 1;
}
