/** The audit records a local stack's proxy has written so far, parsed (flushes pending completions first). */
import { readFileSync } from 'node:fs';
import type { LocalStack } from '../../proxy/local/stack.js';

export const auditRecords = (s: LocalStack): Record<string, any>[] => {
  s.proxy.audit.flush();
  return readFileSync(s.auditFile, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
};
