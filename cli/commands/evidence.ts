/** `agentgate evidence`: the auditor's bundle and report for a period (see proxy/audit/evidence.ts). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildEvidence, type EvidenceInput } from '../../proxy/audit/evidence.js';
import { readRecords } from '../../proxy/audit/sessions.js';
import { verifyAuditFiles } from '../../proxy/audit/verify.js';

export interface EvidenceCommand {
  auditFiles: string[];
  from: Date;
  to: Date;
  namespace?: string;
  out: string;
  /** Also read ApprovalRequests from the cluster of the current kubeconfig. */
  cluster: boolean;
}

export async function runEvidence(o: EvidenceCommand): Promise<number> {
  const verification = verifyAuditFiles(o.auditFiles);
  const records = readRecords(o.auditFiles);
  let approvals: EvidenceInput['approvals'];
  if (o.cluster) {
    const { loadKubeConfig, GROUP, VERSION, APPROVAL_PLURAL } = await import('../../operator/kube.js');
    const { CustomObjectsApi } = await import('@kubernetes/client-node');
    const api = loadKubeConfig().makeApiClient(CustomObjectsApi);
    const list = (o.namespace
      ? await api.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: o.namespace, plural: APPROVAL_PLURAL })
      : await api.listClusterCustomObject({ group: GROUP, version: VERSION, plural: APPROVAL_PLURAL })) as { items: NonNullable<EvidenceInput['approvals']> };
    approvals = list.items.filter((a) => {
      const t = Date.parse(a.metadata.creationTimestamp ?? '');
      return t >= o.from.getTime() && t <= o.to.getTime();
    });
  }
  const ev = buildEvidence({ records, verification, from: o.from, to: o.to, ...(o.namespace ? { namespace: o.namespace } : {}), ...(approvals ? { approvals } : {}) });
  mkdirSync(o.out, { recursive: true });
  const inRange = records.filter((r) => Date.parse(r.time) >= o.from.getTime() && Date.parse(r.time) <= o.to.getTime());
  writeFileSync(join(o.out, 'summary.json'), `${JSON.stringify(ev.summary, null, 2)}\n`);
  writeFileSync(join(o.out, 'decisions.csv'), ev.decisionsCsv);
  writeFileSync(join(o.out, 'records.jsonl'), inRange.map((r) => JSON.stringify(r)).join('\n') + (inRange.length ? '\n' : ''));
  if (approvals) writeFileSync(join(o.out, 'approvals.json'), `${JSON.stringify(approvals, null, 2)}\n`);
  writeFileSync(join(o.out, 'report.html'), ev.html);
  process.stdout.write(`evidence written to ${o.out}: report.html, summary.json, decisions.csv, records.jsonl${approvals ? ', approvals.json' : ''}; audit chain ${verification.ok ? 'intact' : 'BROKEN'}\n`);
  return verification.ok ? 0 : 1;
}
