import { verifyAuditFile } from '../../proxy/audit/verify.js';

export function runAuditVerify(file: string): number {
  const r = verifyAuditFile(file);
  if (r.ok) {
    process.stdout.write(`ok: ${r.records} records, chain intact (last hash ${r.lastHash})\n`);
    return 0;
  }
  process.stdout.write(`BROKEN at line ${r.broken!.line}: ${r.broken!.reason}\n(${r.records} records before it verify)\n`);
  return 1;
}
