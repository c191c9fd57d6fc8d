/** The audit records a local stack's proxy has written so far, parsed. */
import { readFileSync } from 'node:fs';
import type { LocalStack } from '../../proxy/local/stack.js';
import type { AuditFields } from '../../proxy/audit/record.js';

/** The records in the audit file `file` as written so far (pending completions not flushed). */
export const auditFileRecords = (file: string): AuditFields[] =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as AuditFields);

/** The records of `s`'s audit log, pending completions flushed first. */
export const auditRecords = (s: LocalStack): Record<string, any>[] => {
  s.proxy.audit.flush();
  return auditFileRecords(s.auditFile);
};
