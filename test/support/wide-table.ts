/**
 * Tables of many long-named columns: a portal over one has a masking plan far larger than its statement,
 * for the tests of what plans count toward maxPreparedBytes.
 */
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';

/** Columns c0000xxx…, each name 63 bytes (PostgreSQL's longest). */
export function wideColumns(count: number): string {
  return Array.from({ length: count }, (_, i) => `"${`c${String(i).padStart(4, '0')}`.padEnd(63, 'x')}" int`).join(
    ', ',
  );
}

/** A policy edit: statements up to 4000 bytes, and a session's prepared objects and plans up to `bytes`. */
export function capPreparedBytes(bytes: number): (p: AgentAccessPolicy) => void {
  return (p) => void (p.spec.protocolLimits = { maxStatementBytes: 4000, maxPreparedBytes: bytes });
}
