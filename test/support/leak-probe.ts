/**
 * What the probes of replaced portals and cursors read in the raw answers the agent gets: the rows' bytes,
 * a trace of the message kinds with each error's code and text, and whether any row holds a value that
 * must not reach the agent (an `ssn` in clear, a payroll amount).
 */
import type { RawMessage } from './raw-client.js';

/** The amount the local stack's `payroll.salaries` holds: a row of the denied table if it shows. */
export const PAYROLL_AMOUNT = '12000000';

export const dataRows = (ms: RawMessage[]): string[] =>
  ms.filter((m) => m.type === 'D').map((m) => m.body.toString('latin1'));

export const messageTrace = (ms: RawMessage[]): string =>
  ms.map((m) => (m.type === 'E' ? `E(${m.error?.code} ${m.error?.message})` : m.type)).join(' ');

export const rowsHold = (ms: RawMessage[], ...values: string[]): boolean =>
  dataRows(ms).some((r) => values.some((v) => r.includes(v)));
