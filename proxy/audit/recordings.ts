/**
 * Session recordings: per agent session, a JSON-lines file beside the audit log holding that session's
 * audit records — byte-identical copies of the chained lines (statements, decisions, timings, rows and
 * masked-value counts; never data). Each line carries its chain hash, so a recording is covered by the
 * chain: `verifyRecordings` checks every line against the verified chain and that none is missing.
 * Written in batches every 100 ms (off the statement's path); the chain stays the authority if a crash
 * loses the last lines of a recording, and verification says so.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { lineHash, type AuditRecord } from './record.js';

const SESSION_ID = /^[0-9A-Za-z-]{1,64}$/;
const BATCH_LINES = 32;
export const recordingFile = (dir: string, session: string): string => join(dir, `${session}.jsonl`);

export class SessionRecordings {
  private readonly open = new Map<string, { fd?: number; pending: string[]; last: boolean }>();
  private timer?: NodeJS.Timeout;
  failure?: Error;

  /**
   * Lines wait in memory at most `flushMs` and go out as one write per session: a few small syscalls a
   * second instead of one per statement, and nothing queued beyond that (bounded memory).
   */
  constructor(readonly dir: string, private readonly flushMs = 100) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  /** Appends a chained line to its session's recording; `last` closes the file (connection.close). */
  add(session: string, line: string, last: boolean): void {
    if (!SESSION_ID.test(session)) return;
    let rec = this.open.get(session);
    if (!rec) this.open.set(session, (rec = { pending: [], last: false }));
    rec.pending.push(line);
    rec.last ||= last;
    // Small batches keep the joined strings short-lived and small (cheap for the GC, low RSS).
    if (rec.pending.length >= BATCH_LINES) this.write(session, rec);
    else this.timer ??= setTimeout(() => this.flush(), this.flushMs).unref();
  }

  /** Writes everything added so far. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const [session, rec] of this.open) this.write(session, rec);
  }

  private write(session: string, rec: { fd?: number; pending: string[]; last: boolean }): void {
    try {
      if (rec.pending.length) {
        rec.fd ??= openSync(recordingFile(this.dir, session), 'a', 0o600);
        const data = `${rec.pending.join('\n')}\n`;
        rec.pending = [];
        writeSync(rec.fd, data);
      }
    } catch (e) {
      // The chain holds every record; a recording that could not be written shows as incomplete.
      this.failure = e as Error;
      rec.pending = [];
    }
    if (rec.last) {
      if (rec.fd !== undefined) closeSync(rec.fd);
      this.open.delete(session);
    }
  }

  /** Writes and closes every open recording. */
  close(): void {
    for (const rec of this.open.values()) rec.last = true;
    this.flush();
  }
}

export interface RecordingsVerification {
  ok: boolean;
  sessions: number;
  lines: number;
  problems: string[];
}

/**
 * Checks recordings against a verified chain: each line hashes to itself, is the chain's record with
 * that hash, belongs to the file's session, and the file holds exactly the session's records in order.
 * Sessions whose records start before the chain's first record (older rotated files not given) are
 * compared from where the chain starts.
 */
export function verifyRecordings(dir: string, chain: AuditRecord[], only?: string): RecordingsVerification {
  const problems: string[] = [];
  const byHash = new Map(chain.map((r) => [r.hash, r]));
  const bySession = new Map<string, AuditRecord[]>();
  for (const r of chain) if (r.session) (bySession.get(r.session.id) ?? bySession.set(r.session.id, []).get(r.session.id)!).push(r);
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.jsonl') && (!only || f === `${only}.jsonl`)) : [];
  let lines = 0;
  for (const f of files) {
    const session = f.slice(0, -'.jsonl'.length);
    const text = readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean);
    lines += text.length;
    const seen: AuditRecord[] = [];
    for (const [i, line] of text.entries()) {
      const parts = lineHash(line);
      const where = `recording ${f} line ${i + 1}`;
      if (!parts || createHash('sha256').update(parts.body).digest('hex') !== parts.claimed) {
        problems.push(`${where}: altered (its content does not match its hash)`);
        continue;
      }
      const rec = byHash.get(parts.claimed);
      if (!rec) {
        problems.push(`${where}: not in the audit chain`);
        continue;
      }
      if (rec.session?.id !== session) problems.push(`${where}: belongs to session ${rec.session?.id ?? '(none)'}`);
      seen.push(rec);
    }
    const firstSeq = chain[0]?.seq ?? 0;
    const expected = bySession.get(session) ?? [];
    const got = seen.filter((r) => r.seq >= firstSeq).map((r) => r.seq).join(',');
    if (got !== expected.map((r) => r.seq).join(',')) {
      const missing = expected.filter((r) => !seen.includes(r)).map((r) => r.seq);
      problems.push(`recording ${f}: ${missing.length ? `missing the chain's records seq ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''}` : 'records out of order or repeated'}`);
    }
  }
  for (const session of bySession.keys()) if ((!only || session === only) && !files.includes(`${session}.jsonl`)) problems.push(`session ${session} has no recording in ${dir}`);
  return { ok: problems.length === 0, sessions: files.length, lines, problems };
}
