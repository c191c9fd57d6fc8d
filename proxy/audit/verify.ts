/** `agentgate audit verify FILE`: checks every line's hash and the chain, naming the first broken line. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { GENESIS_HASH, lineHash, type AuditRecord } from './record.js';

export interface VerifyResult {
  ok: boolean;
  records: number;
  lastHash: string;
  broken?: { line: number; reason: string };
}

export function verifyAuditText(text: string, anchor = GENESIS_HASH): VerifyResult {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  let prev = anchor;
  let prevSeq: number | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const fail = (reason: string): VerifyResult => ({
      ok: false,
      records: i,
      lastHash: prev,
      broken: { line: i + 1, reason },
    });
    const parts = lineHash(line);
    if (!parts) return fail('not an audit record (no trailing hash)');
    let rec: AuditRecord;
    try {
      rec = JSON.parse(line) as AuditRecord;
    } catch {
      return fail('not valid JSON');
    }
    const actual = createHash('sha256').update(parts.body).digest('hex');
    if (actual !== parts.claimed) return fail(`content does not match its hash (record seq ${rec.seq} was altered)`);
    if (rec.prevHash !== prev)
      return fail(
        `prevHash does not match the previous record (a record was removed, inserted or reordered before seq ${rec.seq})`,
      );
    if (prevSeq !== undefined && rec.seq !== prevSeq + 1) return fail(`seq ${rec.seq} does not follow ${prevSeq}`);
    prev = rec.hash;
    prevSeq = rec.seq;
  }
  return { ok: true, records: lines.length, lastHash: prev };
}

export function verifyAuditFile(file: string): VerifyResult {
  return verifyAuditText(readFileSync(file, 'utf8'));
}

export interface MultiVerifyResult extends VerifyResult {
  file?: string;
}

/**
 * Rotated files, oldest first: each file's first record must link to the previous file's last hash
 * (its anchor), so a missing, reordered or truncated file breaks the chain. The first file must start
 * the chain (genesis) unless `anchor` gives the hash it continues from.
 */
export function verifyAuditFiles(files: string[], anchor = GENESIS_HASH): MultiVerifyResult {
  let prev = anchor;
  let records = 0;
  for (const file of files) {
    const r = verifyAuditText(readFileSync(file, 'utf8'), prev);
    records += r.records;
    if (!r.ok) return { ...r, records, file };
    prev = r.lastHash;
  }
  return { ok: true, records, lastHash: prev };
}
