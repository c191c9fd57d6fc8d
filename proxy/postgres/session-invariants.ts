/**
 * The session's invariants, watched on the wire: PostgreSQL reports every change of a GUC_REPORT setting
 * in a ParameterStatus message (just before ReadyForQuery). The settings the proxy relies on are pinned
 * when the upstream session starts; a report that moves one of them, by any route (a setting the table
 * missed, a function body, a trigger, Audit mode), means the session can no longer be trusted and ends.
 */
import type { TargetSpec } from '../../shared/contract/policy-types.js';
import { PINNED_SETTINGS } from '../sql/settings.js';
import { bodyReader, parameterStatus, type Message } from './protocol.js';
import { normalizeEncoding } from './server-encoding.js';

export interface InvariantViolation {
  setting: string;
  expected: string;
  actual: string;
}

/** Reported parameters that must keep the value they had when the session started. */
const KEPT_FROM_STARTUP = ['session_authorization', 'is_superuser'];

export class SessionInvariants {
  private readonly pinned = new Map<string, string>();

  /** `startup`: the ParameterStatus values the server reported when the session opened. */
  constructor(target: Pick<TargetSpec, 'access'>, startup: readonly (readonly [string, string])[]) {
    for (const [k, v] of Object.entries(PINNED_SETTINGS)) this.pinned.set(k, v);
    if (target.access === 'ReadOnly') this.pinned.set('default_transaction_read_only', 'on');
    for (const [k, v] of startup) if (KEPT_FROM_STARTUP.includes(k.toLowerCase())) this.pinned.set(k.toLowerCase(), v);
  }

  /** The names this session pins (for messages and docs). */
  get settings(): string[] {
    return [...this.pinned.keys()];
  }

  check(name: string, value: string): InvariantViolation | undefined {
    const expected = this.pinned.get(name.toLowerCase());
    if (expected === undefined || sameValue(name, expected, value)) return undefined;
    return { setting: name, expected, actual: value };
  }

  /** The first startup report that contradicts a pinned value (the server ignored a startup setting). */
  checkAll(parameters: readonly (readonly [string, string])[]): InvariantViolation | undefined {
    for (const [k, v] of parameters) {
      const bad = this.check(k, v);
      if (bad) return bad;
    }
    return undefined;
  }
}

function sameValue(name: string, expected: string, actual: string): boolean {
  if (name.toLowerCase() === 'client_encoding') return normalizeEncoding(expected) === normalizeEncoding(actual);
  return expected === actual;
}

export function parseParameterStatus(m: Message): { name: string; value: string } {
  const r = bodyReader(m, 'ParameterStatus');
  const name = r.cstring();
  const value = r.cstring();
  r.done();
  return { name, value };
}

export type ParameterStatusOutcome = { violation: InvariantViolation } | { forward: Buffer | undefined };

/**
 * One upstream ParameterStatus: a violation of a pinned value, or what to send the agent — the value
 * masked like result data (`set_config('application_name', <card number>)` must not echo the card);
 * `forward: undefined` means send the message unchanged.
 */
export function onParameterStatus(
  m: Message,
  invariants: SessionInvariants,
  maskText: (s: string) => { text: string; count: number },
): ParameterStatusOutcome {
  const { name, value } = parseParameterStatus(m);
  const violation = invariants.check(name, value);
  if (violation) return { violation };
  const masked = maskText(value);
  return { forward: masked.count > 0 || masked.text !== value ? parameterStatus(name, masked.text) : undefined };
}

/** What the agent is told when a pinned setting moved; the value is masked (it may carry data). */
export function violationMessage(v: InvariantViolation, maskText: (s: string) => { text: string }): string {
  return `agentgate: the database session's ${v.setting} changed from "${v.expected}" to "${maskText(v.actual).text}"; agentgate pins it, so the session was closed and nothing after the change was forwarded`;
}
