/**
 * The body of `POST /deviations` from a proxy, checked field by field (anything else is refused):
 * `{"deviations": [ {auditHash, time, kind, rule, statement, reason, session, triggeredBy} ]}`, at
 * most 100 per call. Texts are bounded as the CRD bounds them; nothing here names the agent or policy.
 */
import { ProxyRequestError } from '../identity/proxy-token.js';
import { DEVIATION_KINDS, type DeviationKind, type DeviationReport } from './types.js';

export const MAX_REPORTS_PER_CALL = 100;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

function text(v: unknown, field: string, max: number, required = false): string | undefined {
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'string' || (required && v === ''))
    throw new ProxyRequestError(400, `${field} must be a ${required ? 'non-empty ' : ''}string`);
  return v.length > max ? `${v.slice(0, max - 1)}…` : v;
}

function one(d: unknown, i: number): DeviationReport {
  const at = `deviations[${i}]`;
  if (!isObject(d)) throw new ProxyRequestError(400, `${at} must be an object`);
  const known = new Set(['auditHash', 'time', 'kind', 'rule', 'statement', 'reason', 'session', 'triggeredBy']);
  const extra = Object.keys(d).find((k) => !known.has(k));
  if (extra) throw new ProxyRequestError(400, `${at}.${extra} is not a field of a deviation report`);
  if (d.auditHash !== undefined && (typeof d.auditHash !== 'string' || !/^[0-9a-f]{64}$/.test(d.auditHash)))
    throw new ProxyRequestError(400, `${at}.auditHash must be a sha256 hex digest`);
  if (typeof d.time !== 'string' || !TIME.test(d.time) || Number.isNaN(Date.parse(d.time)))
    throw new ProxyRequestError(400, `${at}.time must be an RFC 3339 UTC time`);
  if (!DEVIATION_KINDS.includes(d.kind as DeviationKind))
    throw new ProxyRequestError(400, `${at}.kind must be one of ${DEVIATION_KINDS.join(', ')}`);
  const rule = text(d.rule, `${at}.rule`, 253, true)!;
  let triggeredBy: DeviationReport['triggeredBy'];
  if (d.triggeredBy !== undefined) {
    const t = d.triggeredBy;
    if (
      !isObject(t) ||
      typeof t.iss !== 'string' ||
      typeof t.sub !== 'string' ||
      !t.iss ||
      !t.sub ||
      (t.email !== undefined && typeof t.email !== 'string')
    )
      throw new ProxyRequestError(400, `${at}.triggeredBy must be {iss, sub, email?}`);
    triggeredBy = {
      iss: t.iss.slice(0, 512),
      sub: t.sub.slice(0, 512),
      ...(typeof t.email === 'string' && t.email ? { email: t.email.slice(0, 512) } : {}),
    };
  }
  const statement = text(d.statement, `${at}.statement`, 4096);
  const reason = text(d.reason, `${at}.reason`, 2048);
  const session = text(d.session, `${at}.session`, 128);
  return {
    ...(d.auditHash ? { auditHash: d.auditHash as string } : {}),
    time: d.time,
    kind: d.kind as DeviationKind,
    rule,
    ...(statement ? { statement } : {}),
    ...(reason ? { reason } : {}),
    ...(session ? { session } : {}),
    ...(triggeredBy ? { triggeredBy } : {}),
  };
}

export function parseDeviationReports(body: unknown): DeviationReport[] {
  if (!isObject(body) || !Array.isArray(body.deviations) || Object.keys(body).length !== 1)
    throw new ProxyRequestError(400, 'body must be {"deviations": [...]}');
  if (body.deviations.length === 0 || body.deviations.length > MAX_REPORTS_PER_CALL)
    throw new ProxyRequestError(400, `between 1 and ${MAX_REPORTS_PER_CALL} deviations per call`);
  return body.deviations.map(one);
}
