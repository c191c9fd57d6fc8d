import { verifyAuditFiles } from '../../proxy/audit/verify.js';

/** Verifies one file, or rotated files given oldest first (the chain runs across them). */
export function runAuditVerify(files: string[], anchor?: string): number {
  const r = verifyAuditFiles(files, anchor);
  if (r.ok) {
    process.stdout.write(`ok: ${r.records} records in ${files.length} file(s), chain intact (last hash ${r.lastHash})\n`);
    return 0;
  }
  process.stdout.write(`BROKEN in ${r.file} at line ${r.broken!.line}: ${r.broken!.reason}\n(${r.records} records before it verify)\n`);
  return 1;
}
