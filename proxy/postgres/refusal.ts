/**
 * What the proxy sends upstream when it refuses a statement: a message the server is certain to reject
 * (a syntax error, whatever the session's state), so that the server's own transaction enters the failed
 * state exactly as it would after a PostgreSQL error. The server's ErrorResponse is replaced by the
 * proxy's denial; its ReadyForQuery ('E' inside a transaction) reaches the agent unchanged, later
 * statements fail with 25P02 in the server, and COMMIT rolls back.
 */
import type { RefusalCode, Refuse } from '../gate/verdict.js';
import { message, type ErrorFields } from './protocol.js';

/** Not SQL: the parser stops at the first word, so nothing in the session can make it succeed. */
const REFUSED_TEXT = 'agentgate: statement refused by policy';

/** Simple protocol: a Query that fails (ErrorResponse, then ReadyForQuery with the server's status). */
export function failingQuery(): Buffer {
  return message('Q', Buffer.from(`${REFUSED_TEXT}\0`, 'utf8'));
}

/**
 * Extended protocol: a Parse that fails; the server then skips to the agent's Sync. The statement is
 * named (and the name never created) so the agent's unnamed prepared statement stays as it was.
 */
export function failingParse(): Buffer {
  return message(
    'P',
    Buffer.concat([Buffer.from(`agentgate_refused\0${REFUSED_TEXT}\0`, 'utf8'), Buffer.from([0, 0])]),
  );
}

const SQLSTATE: Record<RefusalCode, string> = {
  denied: '42501',
  unrecorded: '42501',
  unparseable: '42601',
  'too-large': '54000',
  cancelled: '57014',
};

/** The gate's refusal as the ErrorResponse the agent gets. */
export function refusalError(r: Refuse): Omit<ErrorFields, 'severity'> {
  return {
    code: SQLSTATE[r.code],
    message: `agentgate: ${r.reason}`,
    ...(r.detail ? { detail: r.detail } : {}),
    ...(r.hint ? { hint: r.hint } : {}),
  };
}
