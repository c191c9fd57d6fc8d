/**
 * Size limits on what passes through the proxy (policy `spec.protocolLimits`): the largest message
 * the framers buffer, the longest statement text the classifier parses, and what one session's prepared
 * statements, portals and cursors may make the proxy hold (held-bytes.ts). A statement over the
 * limit is refused before it is parsed (SQLSTATE 54000 naming the limit); its text is not recorded,
 * only its size and SHA-256.
 */
import { createHash } from 'node:crypto';
import { oversized } from '../gate/guards.js';
import type { Decision } from '../gate/verdict.js';
import type { PolicySpec } from '../../shared/contract/policy-types.js';
import type { Classification } from '../sql/types.js';
import { DEFAULT_MAX_PREPARED_BYTES } from './held-bytes.js';
import { MAX_MESSAGE_BYTES, type ErrorFields } from './protocol.js';

export const DEFAULT_MAX_MESSAGE_BYTES = MAX_MESSAGE_BYTES;
export const DEFAULT_MAX_STATEMENT_BYTES = 1024 * 1024;

export interface ProtocolLimits {
  maxMessageBytes: number;
  maxStatementBytes: number;
  maxPreparedBytes: number;
}

export function protocolLimits(spec: PolicySpec): ProtocolLimits {
  return {
    maxMessageBytes: spec.protocolLimits?.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    maxStatementBytes: spec.protocolLimits?.maxStatementBytes ?? DEFAULT_MAX_STATEMENT_BYTES,
    maxPreparedBytes: spec.protocolLimits?.maxPreparedBytes ?? DEFAULT_MAX_PREPARED_BYTES,
  };
}

export interface OversizedStatement {
  classification: Classification;
  decision: Decision;
  error: Omit<ErrorFields, 'severity'>;
  detail: { bytes: number; limit: number; sha256: string };
}

/** The refusal of a statement longer than the limit, or undefined when it is within it. */
export function oversizedStatement(
  sql: string,
  limits: Pick<ProtocolLimits, 'maxStatementBytes'>,
): OversizedStatement | undefined {
  if (sql.length <= limits.maxStatementBytes / 3) return undefined; // UTF-8 needs at most 3 bytes per UTF-16 unit
  const bytes = Buffer.byteLength(sql);
  if (bytes <= limits.maxStatementBytes) return undefined;
  const { classification, decision, message } = oversized(bytes, limits.maxStatementBytes);
  return {
    classification,
    decision,
    error: { code: '54000', message: `agentgate: ${message}; nothing was executed` },
    detail: { bytes, limit: limits.maxStatementBytes, sha256: createHash('sha256').update(sql).digest('hex') },
  };
}
