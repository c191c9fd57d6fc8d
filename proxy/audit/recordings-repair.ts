/**
 * Completing session recordings after a crash. Recordings are written in batches (recordings.ts), so a
 * proxy killed mid-traffic leaves the chain whole (decisions are written before forwarding) but each
 * open session's recording without its last lines. On restart, before anything else is written, the
 * audit log copies the missing lines from its chain into the recordings — byte-identical, so they
 * verify like any other line — and writes one chained `audit.recordings-repaired` record naming the
 * sessions and counts. A recording is only ever completed, never rewritten: one whose lines are not a
 * byte-identical prefix of its session's lines in the chain (altered, foreign, reordered) is left as
 * found, for `audit verify` to report.
 */
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { recordingFile } from './recordings.js';
import { lineHash, parseRecord } from './record.js';

const SESSION_ID = /^[0-9A-Za-z-]{1,64}$/;

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
  /** Recordings left as found because they are not a prefix of the chain's lines (verify names them). */
  skipped: { session: string; reason: string }[];
}

/** The chained lines of each session in an audit file's text, in order. */
export function sessionLines(text: string): Map<string, { seq: number; line: string }[]> {
  const by = new Map<string, { seq: number; line: string }[]>();
  for (const line of text.split('\n')) {
    if (!line) continue;
    let rec;
    try {
      rec = parseRecord(line);
    } catch {
      continue;
    }
    const id = rec.session?.id;
    if (!id || !SESSION_ID.test(id)) continue;
    (by.get(id) ?? by.set(id, []).get(id)!).push({ seq: rec.seq, line });
  }
  return by;
}

/** Completes the recordings in `dir` of the sessions in `auditText` (the live audit file) from the chain. */
export function repairRecordings(dir: string, auditText: string): RecordingsRepair {
  const repaired: RepairedRecording[] = [];
  const skipped: RecordingsRepair['skipped'] = [];
  for (const [session, chained] of sessionLines(auditText)) {
    const file = recordingFile(dir, session);
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    const lines = text.split('\n');
    const partial = lines.pop()!; // '' when the file ends with a newline
    // Lines of older rotated files (the session began before this file) come first; the rest must be
    // the chain's lines of this file, in order, byte for byte.
    const inFile = new Set(chained.map((c) => lineHash(c.line)!.claimed));
    const start = lines.findIndex((l) => inFile.has(lineHash(l)?.claimed ?? ''));
    const mine = start < 0 ? [] : lines.slice(start);
    const mismatch = mine.findIndex((l, i) => l !== chained[i]?.line);
    if (mismatch >= 0) {
      skipped.push({ session, reason: `line ${start + mismatch + 1} is not the chain's next line of the session` });
      continue;
    }
    const next = chained[mine.length];
    if (partial && !(next && next.line.startsWith(partial))) {
      skipped.push({ session, reason: 'its last line is cut and is not the start of the chain\'s next line' });
      continue;
    }
    if (!next) continue;
    const missing = chained.slice(mine.length);
    const data = `${missing.map((c) => c.line).join('\n')}\n`.slice(partial.length);
    const fd = openSync(file, 'a', 0o600);
    try {
      writeSync(fd, data);
    } finally {
      closeSync(fd);
    }
    repaired.push({ session, lines: missing.length, fromSeq: next.seq, ...(partial ? { torn: true as const } : {}) });
  }
  return { repaired, skipped };
}
