/**
 * Completing session recordings after a crash. Recordings are written in batches (recordings.ts), so a
 * proxy killed mid-traffic leaves the chain whole (decisions are written before forwarding) but each
 * open session's recording without its last lines. On restart, before anything else is written, the
 * audit log copies the missing lines from its chain into the recordings — byte-identical, so they
 * verify like any other line — and writes one chained `audit.recordings-repaired` record naming the
 * sessions and counts. A recording is only ever completed, never rewritten: one whose last line is not
 * byte for byte the chain's line (altered, foreign) is left as found, for `audit verify` to report.
 *
 * Only the last run in the file is looked at (the records after its last `proxy.start`), and nothing
 * when that run stopped cleanly (`proxy.stop`): the file is read backwards to the run's start, then
 * forwards in chunks, keeping only the missing lines in memory (at most MAX_MISSING_BYTES).
 */
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { recordingFile } from './recordings.js';
import { parseRecord, type AuditRecord } from './record.js';

const SESSION_ID = /^[0-9A-Za-z-]{1,64}$/;
const CHUNK = 1 << 20;
/** More missing than this is not a crash's batch (recordings were off in that run): left as is. */
const MAX_MISSING_BYTES = 64 << 20;

export interface RepairedRecording {
  session: string;
  /** Lines copied from the chain. */
  lines: number;
  /** The first seq copied. */
  fromSeq: number;
  /** A torn last line (a batch cut mid-write) was completed. */
  torn?: true;
}

export interface RecordingsRepair {
  repaired: RepairedRecording[];
  /** Recordings left as found (verify names them). */
  skipped: { session: string; reason: string }[];
}

/** Cheap structural tests (unescaped quotes only occur in JSON structure), confirmed by parsing. */
const actionOf = (line: string, action: string): boolean =>
  line.includes(`"event":{"action":"${action}"`) && safeParse(line)?.event.action === action;

function safeParse(line: string): AuditRecord | undefined {
  try {
    return parseRecord(line);
  } catch {
    return undefined;
  }
}

/** Lines of `fd` from `start` to the end, in chunks, complete lines only. */
function* forwardLines(fd: number, start: number, size: number): Generator<string> {
  let rest = '';
  const buf = Buffer.alloc(CHUNK);
  for (let pos = start; pos < size;) {
    const n = readSync(fd, buf, 0, Math.min(CHUNK, size - pos), pos);
    if (n <= 0) break;
    pos += n;
    const parts = (rest + buf.toString('utf8', 0, n)).split('\n');
    rest = parts.pop()!;
    yield* parts;
  }
  if (rest) yield rest;
}

/**
 * Where the file's last run starts (the byte offset of its last `proxy.start`, or 0), or undefined when
 * that run stopped cleanly (nothing to repair). Reads backwards, so a clean restart costs a few chunks.
 */
function lastRunStart(fd: number, size: number): number | undefined {
  let end = size;
  let tail = Buffer.alloc(0);
  while (end > 0) {
    const start = Math.max(0, end - CHUNK);
    const chunk = Buffer.alloc(end - start);
    readSync(fd, chunk, 0, chunk.length, start);
    const buf = Buffer.concat([chunk, tail]);
    // Complete lines of buf are after its first newline (or all of it at the file's start).
    const first = start === 0 ? 0 : buf.indexOf(10) + 1;
    if (start > 0 && first === 0) {
      // No line starts in this chunk: a line longer than a chunk, read on.
      tail = buf;
      end = start;
      continue;
    }
    let lineEnd = buf.length;
    for (let i = buf.length - 1; i >= first - 1; i--) {
      if (i >= first && buf[i] !== 10) continue;
      const line = buf.toString('utf8', i + 1, lineEnd);
      if (actionOf(line, 'proxy.stop')) return undefined;
      if (actionOf(line, 'proxy.start')) return start + i + 1;
      lineEnd = i;
    }
    tail = buf.subarray(0, first);
    end = start;
  }
  return 0;
}

interface RecordingState {
  /** The recording's last complete line and its seq, if it has one. */
  last?: { line: string; hash: string; seq: number };
  /** A cut last line (no newline). */
  partial: string;
  /** The chain has reached the recording's last line: later lines are missing. */
  passed: boolean;
  mismatch?: string;
  missing: { seq: number; line: string }[];
}

function recordingState(file: string): RecordingState {
  if (!existsSync(file)) return { partial: '', passed: true, missing: [] };
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const partial = lines.pop()!;
  const lastLine = lines.at(-1);
  const rec = lastLine ? safeParse(lastLine) : undefined;
  if (lastLine && !rec)
    return { partial, passed: false, mismatch: 'its last complete line is not an audit record', missing: [] };
  return {
    ...(rec ? { last: { line: lastLine!, hash: rec.hash, seq: rec.seq } } : {}),
    partial,
    passed: !rec,
    missing: [],
  };
}

/** Completes the recordings in `dir` of the sessions of the last run in `auditFile` from the chain. */
export function repairRecordings(dir: string, auditFile: string): RecordingsRepair {
  const repaired: RepairedRecording[] = [];
  const skipped: RecordingsRepair['skipped'] = [];
  const fd = openSync(auditFile, 'r');
  const sessions = new Map<string, RecordingState>();
  let missingBytes = 0;
  try {
    const size = fstatSync(fd).size;
    const start = lastRunStart(fd, size);
    if (start === undefined) return { repaired, skipped };
    let firstSeq: number | undefined;
    for (const line of forwardLines(fd, start, size)) {
      if (!line.includes('"session":{"id":"')) continue;
      const rec = safeParse(line);
      const id = rec?.session?.id;
      if (!rec || !id || !SESSION_ID.test(id)) continue;
      firstSeq ??= rec.seq;
      let s = sessions.get(id);
      if (!s) {
        sessions.set(id, (s = recordingState(recordingFile(dir, id))));
        // A recording whose last line is older than this run's window: the session's lines here all follow it.
        if (s.last && s.last.seq < firstSeq) s.passed = true;
      }
      if (s.mismatch) continue;
      if (!s.passed) {
        if (rec.hash === s.last!.hash) {
          if (line !== s.last!.line) s.mismatch = `its last line (seq ${rec.seq}) is not byte for byte the chain's`;
          s.passed = true;
        }
        continue;
      }
      missingBytes += line.length;
      if (missingBytes > MAX_MISSING_BYTES) {
        s.mismatch = 'too many lines missing for a crash (recordings off in that run?)';
        continue;
      }
      s.missing.push({ seq: rec.seq, line });
    }
  } finally {
    closeSync(fd);
  }
  for (const [session, s] of sessions) {
    if (!s.mismatch && !s.passed) s.mismatch = 'its last line is not a record of this run of the chain';
    if (!s.mismatch && s.partial && !s.missing[0]?.line.startsWith(s.partial))
      s.mismatch = "its last line is cut and is not the start of the chain's next line";
    if (s.mismatch) {
      skipped.push({ session, reason: s.mismatch });
      continue;
    }
    if (!s.missing.length) continue;
    const data = `${s.missing.map((m) => m.line).join('\n')}\n`.slice(s.partial.length);
    const out = openSync(recordingFile(dir, session), 'a', 0o600);
    try {
      writeSync(out, data);
    } finally {
      closeSync(out);
    }
    repaired.push({
      session,
      lines: s.missing.length,
      fromSeq: s.missing[0]!.seq,
      ...(s.partial ? { torn: true as const } : {}),
    });
  }
  return { repaired, skipped };
}
