/**
 * `agentgate evidence`: the auditor's bundle and report for a period (see proxy/audit/evidence.ts).
 * The bundle re-verifies offline: it holds the audit files as written, the session recordings and the
 * witness's checkpoints with its public keys, so `agentgate audit verify OUT/audit/* --witness
 * OUT/witness/checkpoints.jsonl` reproduces the report's integrity findings.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { buildEvidence, type EvidenceInput, type EvidenceVerification } from '../../proxy/audit/evidence.js';
import { WITNESS_JWKS_FILE } from '../../proxy/audit/witnesses.js';
import type { RecordingsVerification } from '../../proxy/audit/recordings.js';
import { verifyAll, verified, type RecordingsCheck, type WitnessSource } from './audit.js';

export interface EvidenceCommand extends Omit<WitnessSource, 'cluster'> {
  auditFiles: string[];
  from: Date;
  to: Date;
  namespace?: string;
  out: string;
  /** Also read ApprovalRequests, policies and the operator's checkpoints from the current kubeconfig's cluster. */
  cluster: boolean;
  recordingsDir?: string;
}

export interface EvidenceResult {
  ok: boolean;
  files: string[];
  summary: Record<string, unknown>;
}

export async function writeEvidence(o: EvidenceCommand): Promise<EvidenceResult> {
  const v = await verifyAll(o.auditFiles, { ...o, clusterWitnessOptional: true });
  const { records } = v;
  let approvals: EvidenceInput['approvals'];
  let policies: EvidenceInput['policies'];
  if (o.cluster) {
    const { loadKubeConfig, GROUP, VERSION, APPROVAL_PLURAL, POLICY_PLURAL } = await import('../../operator/kube.js');
    const { CustomObjectsApi } = await import('@kubernetes/client-node');
    const api = loadKubeConfig().makeApiClient(CustomObjectsApi);
    // In the namespace asked for, or in all of them.
    const list = async <T>(plural: string): Promise<T[]> => ((o.namespace
      ? await api.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: o.namespace, plural })
      : await api.listClusterCustomObject({ group: GROUP, version: VERSION, plural })) as { items: T[] }).items;
    approvals = (await list<NonNullable<EvidenceInput['approvals']>[number]>(APPROVAL_PLURAL)).filter((a) => {
      const t = Date.parse(a.metadata.creationTimestamp ?? '');
      return t >= o.from.getTime() && t <= o.to.getTime();
    });
    // Change management: each policy's recorded history (who changed the spec, when, outcome).
    policies = await list<NonNullable<EvidenceInput['policies']>[number]>(POLICY_PLURAL);
  }
  const verification: EvidenceVerification = {
    ok: verified(v),
    chains: v.chains,
    problems: v.split.problems,
    unseenStreams: v.unseenStreams,
    ...(v.recordings.length ? { recordings: mergeRecordings(v.recordings) } : {}),
  };
  const ev = buildEvidence({
    records, verification, from: o.from, to: o.to,
    ...(o.namespace ? { namespace: o.namespace } : {}), ...(approvals ? { approvals } : {}), ...(policies ? { policies } : {}),
  });
  mkdirSync(o.out, { recursive: true });
  const files: string[] = [];
  const write = (name: string, text: string): void => {
    writeFileSync(join(o.out, name), text);
    files.push(name);
  };
  const inRange = records.filter((r) => Date.parse(r['@timestamp']) >= o.from.getTime() && Date.parse(r['@timestamp']) <= o.to.getTime());
  write('summary.json', `${JSON.stringify(ev.summary, null, 2)}\n`);
  write('decisions.csv', ev.decisionsCsv);
  write('records.jsonl', inRange.map((r) => JSON.stringify(r)).join('\n') + (inRange.length ? '\n' : ''));
  if (approvals) write('approvals.json', `${JSON.stringify(approvals, null, 2)}\n`);
  if (policies) write('policies.json', `${JSON.stringify(policies, null, 2)}\n`);
  write('report.html', ev.html);
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
    writeFileSync(join(o.out, 'witness', 'checkpoints.jsonl'), witness.witnessed.map((w) => JSON.stringify(w)).join('\n') + (witness.witnessed.length ? '\n' : ''));
    writeFileSync(join(o.out, 'witness', WITNESS_JWKS_FILE), `${JSON.stringify(witness.jwks, null, 2)}\n`);
    files.push('witness/');
  }
  return { ok: verified(v), files, summary: ev.summary };
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
  process.stdout.write(`evidence written to ${o.out}: ${r.files.join(', ')}; audit integrity ${r.ok ? 'verified' : 'FAILED (see report.html, CC7.2)'}\n`);
  return r.ok ? 0 : 1;
}
