/**
 * Session recordings: per agent session, a JSON-lines file beside the audit log holding that session's
 * audit records — byte-identical copies of the chained lines (statements, decisions, timings, rows and
 * masked-value counts; never data). Each line carries its chain hash, so a recording is covered by the
 * chain: `verifyRecordings` checks every line against the verified chain and that none is missing.
 * Written in batches every 100 ms (off the statement's path); a crash loses the last lines of a
 * recording, which the restart copies from the chain (recordings-repair.ts) and verification tells
 * apart from lines altered or removed.
 *
 * Several proxies may share a recordings directory (and an audit directory): each audit file records
 * into its own subdirectory, `<recordings dir>/<audit file name>/<session>.jsonl`, so one log's
 * recordings never sit among another's. Recordings directly in `<recordings dir>` (the layout before)
 * are still read.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { LineBuffer } from './line-buffer.js';
import { lineHash, type AuditRecord } from './record.js';

const SESSION_ID = /^[0-9A-Za-z-]{1,64}$/;
const BATCH_LINES = 32;
export const recordingFile = (dir: string, session: string): string => join(dir, `${session}.jsonl`);

/** The suffix size-based rotation gives a full audit file (audit-log.ts): `.<UTC time>-<n>`. */
const ROTATED = /\.\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z-\d{6}$/;

/** The name of the live audit file a (possibly rotated) audit file belongs to. */
export const auditLogName = (file: string): string => basename(file).replace(ROTATED, '');

/** Where the audit file `auditFile` writes its recordings, under the (shared) recordings directory. */
export const recordingsDirOf = (root: string, auditFile: string): string => join(root, auditLogName(auditFile));

/**
 * Where to read the recordings of `auditFile` from: its own subdirectory of `root`, or — when `root` is
 * that subdirectory already, or holds recordings in the layout before — `root` itself.
 */
export function findRecordingsDir(root: string, auditFile: string): string {
  const own = recordingsDirOf(root, auditFile);
  return existsSync(own) && statSync(own).isDirectory() ? own : root;
}

export class SessionRecordings {
  private readonly open = new Map<string, { fd?: number; pending: string[]; last: boolean }>();
  private timer?: NodeJS.Timeout;
  /** One session's lines at a time, encoded for its write. */
  private readonly batch = new LineBuffer(16 * 1024);
  failure?: Error;

  /**
   * Lines wait in memory at most `flushMs` and go out as one write per session: a few small syscalls a
   * second instead of one per statement, and nothing queued beyond that (bounded memory).
   */
  constructor(
    readonly dir: string,
    private readonly flushMs = 100,
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  /** Appends a chained line to its session's recording; `last` closes the file (connection.close). */
  add(session: string, line: string, last: boolean): void {
    let rec = this.open.get(session);
    if (!rec) {
      // A session's id names its file: checked once, when its recording opens (no other id is ever kept).
      if (!SESSION_ID.test(session)) return;
      this.open.set(session, (rec = { pending: [], last: false }));
    }
    rec.pending.push(line);
    rec.last ||= last;
    // Small batches: few lines held per session (low RSS with many sessions).
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
        for (const line of rec.pending) this.batch.push(line);
        rec.pending = [];
        this.batch.writeTo(rec.fd);
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
  /** Recordings of this chain's sessions that were checked. */
  sessions: number;
  /** Their file names, in the directory. */
  checked: string[];
  lines: number;
  /** Recordings in the directory of sessions this chain does not hold, with none of its lines (another log's, or older files not given). */
  foreign: number;
  problems: string[];
  /**
   * Recordings that lack only their session's last records because the proxy died before writing
   * them out (a byte-identical prefix of the chain's lines, no clean stop or repair since): reported,
   * not failed — the chain holds those records.
   */
  incomplete: string[];
  /** Completions after a crash (`audit.recordings-repaired` records): at which seq, how many sessions and lines. */
  repaired: { seq: number; sessions: number; lines: number }[];
}

/**
 * Checks recordings against a verified chain: each line hashes to itself, is the chain's record with
 * that hash, belongs to the file's session, and the file holds exactly the session's records in order.
 * A recording belongs to the chain when its session is one of the chain's or any of its lines is a
 * record of the chain; the others (another proxy's recordings in a shared directory, sessions of older
 * rotated files not given) are counted, not checked. Sessions whose records start before the chain's
 * first record (older rotated files not given) are compared from where the chain starts.
 */
export function verifyRecordings(dir: string, chain: AuditRecord[], only?: string): RecordingsVerification {
  const problems: string[] = [];
  const byHash = new Map(chain.map((r) => [r.hash, r]));
  const index = new Map(chain.map((r, i) => [r, i]));
  const incomplete: string[] = [];
  const bySession = new Map<string, AuditRecord[]>();
  for (const r of chain)
    if (r.session) (bySession.get(r.session.id) ?? bySession.set(r.session.id, []).get(r.session.id)!).push(r);
  const files = existsSync(dir)
    ? readdirSync(dir).filter((f) => f.endsWith('.jsonl') && (!only || f === `${only}.jsonl`))
    : [];
  let lines = 0;
  let foreign = 0;
  const checked: string[] = [];
  for (const f of files) {
    const session = f.slice(0, -'.jsonl'.length);
    const text = readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean);
    const parts = text.map(lineHash);
    if (!bySession.has(session) && !parts.some((p) => p && byHash.has(p.claimed))) {
      foreign++;
      continue;
    }
    checked.push(f);
    lines += text.length;
    const seen: AuditRecord[] = [];
    for (let i = 0; i < text.length; i++) {
      const p = parts[i];
      const where = `recording ${f} line ${i + 1}`;
      if (!p || createHash('sha256').update(p.body).digest('hex') !== p.claimed) {
        problems.push(`${where}: altered (its content does not match its hash)`);
        continue;
      }
      const rec = byHash.get(p.claimed);
      if (!rec) {
        problems.push(`${where}: not in the audit chain`);
        continue;
      }
      if (rec.session?.id !== session) problems.push(`${where}: belongs to session ${rec.session?.id ?? '(none)'}`);
      seen.push(rec);
    }
    const firstSeq = chain[0]?.seq ?? 0;
    const expected = bySession.get(session) ?? [];
    const got = seen.filter((r) => r.seq >= firstSeq);
    if (got.map((r) => r.seq).join(',') === expected.map((r) => r.seq).join(',')) continue;
    const isPrefix = got.every((r, i) => r === expected[i]);
    const crash = isPrefix ? afterCrash(chain, index, expected[got.length]!) : undefined;
    const missing = expected.slice(got.length).map((r) => r.seq);
    if (crash?.ok)
      incomplete.push(
        `recording ${f}: its last ${missing.length} record(s) (seq ${seqList(missing)}) were never written: ${crash.why}`,
      );
    else
      problems.push(
        `recording ${f}: ${
          isPrefix
            ? `missing the chain's records seq ${seqList(missing)}${crash ? ` (${crash.why})` : ''}`
            : (() => {
                const absent = expected.filter((r) => !seen.includes(r)).map((r) => r.seq);
                return absent.length
                  ? `missing the chain's records seq ${seqList(absent)}`
                  : 'records out of order or repeated';
              })()
        }`,
      );
  }
  for (const session of bySession.keys()) {
    if ((only && session !== only) || files.includes(`${session}.jsonl`)) continue;
    const crash = afterCrash(chain, index, bySession.get(session)![0]!);
    if (crash.ok)
      incomplete.push(
        `session ${session} has no recording in ${dir}: its ${bySession.get(session)!.length} record(s) were never written: ${crash.why}`,
      );
    else problems.push(`session ${session} has no recording in ${dir} (${crash.why})`);
  }
  const repaired = chain
    .filter((r) => r.event.action === 'audit.recordings-repaired')
    .map((r) => {
      const list = (
        (r.detail as { recordings?: { session: string; lines: number }[] } | undefined)?.recordings ?? []
      ).filter((x) => !only || x.session === only);
      return { seq: r.seq, sessions: list.length, lines: list.reduce((n, x) => n + x.lines, 0) };
    })
    .filter((x) => x.sessions > 0);
  return {
    ok: problems.length === 0,
    sessions: checked.length,
    checked,
    lines,
    foreign,
    problems,
    incomplete,
    repaired,
  };
}

const seqList = (seqs: number[]): string => `${seqs.slice(0, 10).join(', ')}${seqs.length > 10 ? ', …' : ''}`;

/**
 * Whether a recording that lacks only its session's last records (from `first` on) was cut by a crash:
 * the proxy's run that wrote them ended without a clean stop (which writes every recording out), and
 * no restart completed the recordings since (which copies the missing lines from the chain). The chain
 * holds those records either way; a tail missing after a clean stop or after the repair was removed.
 */
function afterCrash(
  chain: AuditRecord[],
  index: Map<AuditRecord, number>,
  first: AuditRecord,
): { ok: boolean; why: string } {
  for (let i = index.get(first)! + 1; i < chain.length; i++) {
    const a = chain[i]!.event.action;
    if (a === 'proxy.stop')
      return {
        ok: false,
        why: `the proxy stopped cleanly at seq ${chain[i]!.seq}, which writes every recording out: removed since`,
      };
    if (a === 'audit.recordings-repaired')
      return {
        ok: false,
        why: `the restart at seq ${chain[i]!.seq} completed the recordings from the chain: removed since`,
      };
    if (a === 'proxy.start') break;
  }
  return {
    ok: true,
    why: 'the proxy stopped without a clean shutdown (crash?) and was not restarted with recordings since; the chain holds them',
  };
}
