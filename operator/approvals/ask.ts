/** Reads a proxy's POST /approvals body strictly: known fields only, each of its type and size. */
import { ProxyRequestError } from '../identity/proxy-token.js';
import type { ApprovalAsk } from '../../shared/contract/approval-request.js';
import { EFFECTS } from '../../shared/contract/policy-types.js';

const EFFECT_NAMES: ReadonlySet<string> = new Set(EFFECTS);

function str(v: unknown, field: string, max: number, optional = false): string | undefined {
  if (v === undefined && optional) return undefined;
  if (typeof v !== 'string' || v.length === 0 || v.length > max)
    throw new ProxyRequestError(400, `${field} must be a non-empty string of at most ${max} characters`);
  return v;
}

function only(o: unknown, field: string, keys: string[]): Record<string, unknown> {
  if (typeof o !== 'object' || o === null || Array.isArray(o))
    throw new ProxyRequestError(400, `${field} must be an object`);
  const extra = Object.keys(o).filter((k) => !keys.includes(k));
  if (extra.length)
    throw new ProxyRequestError(
      400,
      `${field} has fields the proxy does not supply: ${extra.join(', ')} (the operator sets policy, pod and service account)`,
    );
  return o as Record<string, unknown>;
}

export function parseApprovalAsk(body: unknown): ApprovalAsk {
  const b = only(body, 'the body', ['rule', 'target', 'command', 'requester', 'reason']);
  const c = only(b.command, 'command', ['text', 'summary', 'sha256', 'effects', 'tables']);
  const r = only(b.requester, 'requester', [
    'subject',
    'issuer',
    'runId',
    'triggeredBy',
    'triggeredByIssuer',
    'triggeredByEmail',
    'triggeredByGroups',
  ]);
  const sha256 = str(c.sha256, 'command.sha256', 64)!;
  if (!/^[0-9a-f]{64}$/.test(sha256))
    throw new ProxyRequestError(400, 'command.sha256 must be 64 lowercase hex digits');
  const list = (v: unknown, field: string, ok: (x: string) => boolean): string[] | undefined => {
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.length > 256 || !v.every((x) => typeof x === 'string' && x.length <= 256 && ok(x)))
      throw new ProxyRequestError(400, `${field} must be a list of names`);
    return v as string[];
  };
  const effects = list(c.effects, 'command.effects', (x) => EFFECT_NAMES.has(x));
  const tables = list(c.tables, 'command.tables', () => true);
  const summary = str(c.summary, 'command.summary', 120, true);
  const issuer = str(r.issuer, 'requester.issuer', 512, true);
  const triggeredBy = str(r.triggeredBy, 'requester.triggeredBy', 512, true);
  const triggeredByIssuer = str(r.triggeredByIssuer, 'requester.triggeredByIssuer', 512, true);
  const triggeredByEmail = str(r.triggeredByEmail, 'requester.triggeredByEmail', 512, true);
  if ((triggeredByIssuer !== undefined || triggeredByEmail !== undefined) && triggeredBy === undefined)
    throw new ProxyRequestError(400, 'requester.triggeredByIssuer and triggeredByEmail go with requester.triggeredBy');
  const triggeredByGroups = list(r.triggeredByGroups, 'requester.triggeredByGroups', (x) => x.length > 0);
  if (triggeredByGroups !== undefined && triggeredBy === undefined)
    throw new ProxyRequestError(400, 'requester.triggeredByGroups goes with requester.triggeredBy');
  const reason = str(b.reason, 'reason', 4096, true);
  return {
    rule: str(b.rule, 'rule', 63)!,
    target: str(b.target, 'target', 63)!,
    command: {
      text: str(c.text, 'command.text', 65536)!,
      sha256,
      ...(summary ? { summary } : {}),
      ...(effects ? { effects } : {}),
      ...(tables ? { tables } : {}),
    },
    requester: {
      subject: str(r.subject, 'requester.subject', 512)!,
      runId: str(r.runId, 'requester.runId', 256)!,
      ...(issuer ? { issuer } : {}),
      ...(triggeredBy ? { triggeredBy } : {}),
      ...(triggeredByIssuer ? { triggeredByIssuer } : {}),
      ...(triggeredByEmail ? { triggeredByEmail } : {}),
      ...(triggeredByGroups?.length ? { triggeredByGroups } : {}),
    },
    ...(reason ? { reason } : {}),
  };
}
