/**
 * Which audit records are deviations a person must review, and what the operator is told about each:
 * denials (policy rules and built-in guards, and would-be denials under mode Audit), refused identities,
 * approval requests that expired or were denied, runtime caps hit, and audit/witness failures. Taken
 * from the record as chained, so the report always matches the chain. A pure function.
 */
import type { AuditFields, AuditRecord } from './record.js';

import type { DeviationKind, DeviationReport } from '../../shared/contract/deviation-report.js';

export type { DeviationKind, DeviationReport };

/** Cheap test on a record's own fields (no parse): could it be a deviation? Runs on the statement path. */
export function mayDeviate(f: AuditFields): boolean {
  switch (f.event.action) {
    case 'statement.decision':
      return (
        f.decision === 'Deny' ||
        (f.decision === 'RequireApproval' && (f.event.outcome === 'failure' || f.enforced === false))
      );
    case 'identity.rejected':
    case 'statement.cap-exceeded':
    case 'audit.checkpoint-failed':
    case 'session.invariant-violated':
      return true;
    case 'approval.decided':
    case 'audit.recordings-repaired':
      return f.event.outcome === 'failure';
    case 'approval.requested':
      return true; // remembered for the statement text of a later expiry or denial
    default:
      return false;
  }
}

/** What proxy/postgres/session.ts records when an agent's token expires in a session (not a refusal). */
export const SESSION_TOKEN_EXPIRED = 'token expired during the session; session closed';

/** An unwritable audit log cannot be in the chain: reported without a hash. */
export function auditUnwritable(message: string, now: Date): DeviationReport {
  return {
    time: now.toISOString(),
    kind: 'AuditFailure',
    rule: 'audit-log-unwritable',
    reason: `the audit log cannot be written (${message}); every statement is refused until it can`,
  };
}

const IDENTITY_RULES: [RegExp, string][] = [
  [/expired|"exp"|not yet valid|"nbf"|issued in the future|lifetime/i, 'token-time'],
  [/signature|no applicable key|JWKS|algorithm/i, 'token-signature'],
  [/issuer/i, 'token-issuer'],
  [/audience|"aud"/i, 'token-audience'],
  [/not a subject of this policy/i, 'subject-not-allowed'],
  [/pod/i, 'pod-binding'],
  [/run token|triggered|trigger issuer|act\b/i, 'run-token'],
  [/well-formed|no (?:bearer )?token/i, 'malformed-token'], // "no token was presented" (Postgres), "no bearer token" (HTTP, MCP)
];

/**
 * A bounded set of rule names for refused identities: an agent cannot open a review item per error text.
 * Judged on the proxy's own words: quoted values (what the agent sent, JSON-quoted) are left out, but
 * for the claim names the token library quotes.
 */
export function identityRule(message: string): string {
  const own = message.replace(/"(?:[^"\\]|\\.)*"/g, (q) => (/^"(exp|nbf|iat|aud|iss|sub)"$/.test(q) ? q : '""'));
  return IDENTITY_RULES.find(([re]) => re.test(own))?.[1] ?? 'token-refused';
}

const text = (s: string | undefined, max: number): string | undefined =>
  s === undefined ? undefined : s.length > max ? `${s.slice(0, max - 1)}…` : s;

/**
 * The deviation a chained record stands for, if any. `requested` gives the masked text of an approval
 * request by its name (approval.decided records do not repeat it).
 */
export function deviationOf(
  r: AuditRecord,
  requested?: (approvalRequest: string) => string | undefined,
): DeviationReport | undefined {
  const base = {
    auditHash: r.hash,
    time: r['@timestamp'],
    ...(r.session?.id ? { session: r.session.id } : {}),
    ...(r.principal?.triggeredBy ? { triggeredBy: r.principal.triggeredBy } : {}),
  };
  const statement = text(r.db?.query?.text, 4096);
  const withText = statement ? { statement } : {};
  switch (r.event.action) {
    case 'statement.decision': {
      if (!mayDeviate(r)) return undefined;
      if ((r.detail as { grant?: unknown } | undefined)?.grant !== undefined) return undefined; // ran under an approval
      // Refused pending an ApprovalRequest (mode Reject), or after it was rejected or expired: the request's expiry or denial is the deviation (the operator files it).
      if ((r.detail as { approvalRequest?: unknown } | undefined)?.approvalRequest !== undefined) return undefined;
      const rule = r.rule?.name ?? 'default-action';
      const blocked = r.event.outcome === 'failure';
      const what =
        r.decision === 'RequireApproval'
          ? blocked
            ? 'requires approval, refused'
            : 'would require approval'
          : blocked
            ? 'denied'
            : 'would be denied';
      const reason = `${what} by rule "${rule}"${blocked ? '' : ' (not blocked: mode Audit)'}${r.message ? `: ${r.message}` : ''}`;
      return { ...base, ...withText, kind: 'Denial', rule, reason: text(reason, 2048)! };
    }
    case 'session.invariant-violated':
      return {
        ...base,
        kind: 'Denial',
        rule: 'session-invariant',
        reason: text(r.message ?? 'a pinned setting changed; session closed', 2048)!,
      };
    case 'identity.rejected': {
      // A token that expires during a session is its normal end, not a refusal: the session writes that
      // record without an outcome and with this exact text. Refusals quote what the agent sent (an
      // issuer, an algorithm), so no test on their text may turn one into a non-deviation.
      if (r.event.outcome !== 'failure' && r.message === SESSION_TOKEN_EXPIRED) return undefined;
      const target = r.target ? ` on target ${r.target}` : '';
      if (!r.message)
        return {
          ...base,
          kind: 'IdentityRefused',
          rule: 'token-refused',
          statement: `connection${target}`,
          reason: 'identity refused',
        };
      return {
        ...base,
        kind: 'IdentityRefused',
        rule: identityRule(r.message),
        statement: `connection${target}${r.client?.address ? ` from ${r.client.address}` : ''}`,
        reason: text(r.message, 2048)!,
      };
    }
    case 'statement.cap-exceeded': {
      const limit = (r.detail as { limit?: unknown } | undefined)?.limit;
      return {
        ...base,
        ...withText,
        kind: 'CapExceeded',
        rule: typeof limit === 'string' ? limit : 'runtime-limit',
        reason: text(r.message ?? 'runtime limit exceeded', 2048)!,
      };
    }
    case 'approval.decided': {
      if (r.event.outcome !== 'failure') return undefined;
      const phase = r.message ?? '';
      const ref = String((r.detail as { approvalRequest?: unknown } | undefined)?.approvalRequest ?? '');
      const kind =
        phase === 'Expired' || phase === 'Timeout'
          ? 'ApprovalExpired'
          : phase === 'Denied' || phase === 'Unverified'
            ? 'ApprovalDenied'
            : undefined;
      if (!kind) return undefined;
      const held = requested?.(ref);
      const decisions = (
        (r.detail as { decisions?: { user?: string; comment?: string }[] } | undefined)?.decisions ?? []
      ).map((d) => `${d.user ?? '?'}${d.comment ? ` (${d.comment})` : ''}`);
      const reason = `ApprovalRequest ${ref} ${phase === 'Timeout' ? 'was not decided in time' : phase === 'Unverified' ? 'was not honoured (its approval did not verify)' : phase.toLowerCase()}${decisions.length ? ` by ${decisions.join(', ')}` : ''}`;
      return {
        ...base,
        ...(held ? { statement: text(held, 4096)! } : {}),
        kind,
        rule: r.rule?.name ?? 'approval',
        reason: text(reason, 2048)!,
      };
    }
    case 'audit.checkpoint-failed':
      return {
        ...base,
        kind: 'AuditFailure',
        rule: 'witness-checkpoint',
        reason: text(r.message ?? 'the witness did not sign the chain head', 2048)!,
      };
    case 'audit.recordings-repaired':
      if (r.event.outcome !== 'failure') return undefined;
      return {
        ...base,
        kind: 'AuditFailure',
        rule: 'recordings-repair',
        reason: text(r.message ?? 'session recordings could not be completed from the chain', 2048)!,
      };
    default:
      return undefined;
  }
}
