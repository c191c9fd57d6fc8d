/**
 * Asks the server what it holds under portal and cursor names, so that a read of a stale name
 * (name-freshness.ts) is decided as the object the proxy knows only if the server still holds that object.
 * PostgreSQL lists in pg_cursors every named portal and cursor with the text that made it: for a portal
 * the agent bound, its statement's text; for a cursor DECLAREd through the proxy, the whole Query message
 * (or the Parse) that declared it — the proxy keeps their digests; for a cursor a function opened, the
 * function's own query. The unnamed portal is listed too (under the empty name).
 *
 * The check is the proxy's own extended-protocol batch, sent only at a ReadyForQuery boundary, with a
 * statement and portal name the agent cannot know: it leaves the agent's unnamed statement and portal alone
 * and in the agent's transaction only reads. Operators, types and relations are schema-qualified, so the
 * agent's search_path cannot redirect it; the names travel as one text[] parameter (one scan of the
 * session's portals however many names are asked).
 */
import { hash, randomBytes } from 'node:crypto';
import { bodyReader, message, type Message } from './protocol.js';

const CHECK_SQL =
  'SELECT name, statement, is_holdable, EXTRACT(EPOCH FROM creation_time) FROM pg_catalog.pg_cursors WHERE name OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[])';

/** What the proxy knows under a name: the digest of the text that made it, its holdability, when it was made. */
export interface TrackedName {
  sourceDigest: string;
  hold: boolean;
  /** pg_cursors.creation_time (epoch seconds, as the server prints them), once recorded (name-baselines.ts). */
  createdAt?: string;
}

/** One row of pg_cursors as the check reads it. */
export interface ServerCursor {
  name: string;
  statementDigest: string;
  holdable: boolean;
  createdAt: string;
}

export type CheckOutcome = 'same' | 'replaced' | 'unchecked';

/** The digest the proxy keeps of the text that declared a cursor (compared with pg_cursors.statement). */
export function sourceDigest(text: string | Buffer): string {
  return hash('sha256', text, 'base64');
}

/** A statement and portal name prefix for one session's checks. */
export function checkId(): string {
  return `agentgate_check_${randomBytes(12).toString('hex')}`;
}

const cstr = (s: string): Buffer => Buffer.from(`${s}\0`, 'utf8');
const int16 = (n: number): Buffer => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
const int32 = (n: number): Buffer => {
  const b = Buffer.allocUnsafe(4);
  b.writeInt32BE(n);
  return b;
};

/** A text[] literal of `names` (each element quoted; backslash and double quote escaped). */
function textArray(names: readonly string[]): Buffer {
  return Buffer.from(`{${names.map((n) => `"${n.replace(/[\\"]/g, '\\$&')}"`).join(',')}}`, 'utf8');
}

/**
 * Parse, Bind, Execute, Close and Sync: one scan of the session's portals for all names, one ReadyForQuery.
 * It starts by closing its statement and portal (no error when there are none): a check that failed after
 * its Parse skipped its own Closes, and must not make every later one fail.
 */
export function checkMessage(names: readonly string[], id: string): Buffer {
  const value = textArray(names);
  return Buffer.concat([
    message('C', Buffer.concat([Buffer.from('P'), cstr(id)])),
    message('C', Buffer.concat([Buffer.from('S'), cstr(id)])),
    message('P', Buffer.concat([cstr(id), cstr(CHECK_SQL), int16(0)])),
    message('B', Buffer.concat([cstr(id), cstr(id), int16(0), int16(1), int32(value.length), value, int16(0)])),
    message('E', Buffer.concat([cstr(id), int32(0)])),
    message('C', Buffer.concat([Buffer.from('P'), cstr(id)])),
    message('C', Buffer.concat([Buffer.from('S'), cstr(id)])),
    message('S', Buffer.alloc(0)),
  ]);
}

/** A DataRow of the check's query. */
export function serverCursor(m: Message): ServerCursor {
  const r = bodyReader(m, 'DataRow');
  const column = (): Buffer => {
    const len = r.int32();
    return len < 0 ? Buffer.alloc(0) : r.bytes(len);
  };
  if (r.int16() !== 4) throw new Error('unexpected pg_cursors row');
  const name = column().toString('utf8');
  const statementDigest = sourceDigest(column());
  const holdable = column().toString() === 't';
  const createdAt = column().toString();
  r.done();
  return { name, statementDigest, holdable, createdAt };
}

/**
 * The server's row for `name` when it holds the object the proxy knows (the same text's digest, holdability
 * and, once recorded, creation time), else undefined.
 */
export function sameObject(name: string, known: TrackedName, rows: readonly ServerCursor[]): ServerCursor | undefined {
  const listed = rows.filter((r) => r.name === name);
  const row = listed.length === 1 ? listed[0]! : undefined;
  if (!row || row.statementDigest !== known.sourceDigest || row.holdable !== known.hold) return undefined;
  return known.createdAt === undefined || row.createdAt === known.createdAt ? row : undefined;
}
