/**
 * Issue #14 (per-statement cost): the audit writer, DataRow rewriting and the card detector's fast path
 * keep their exact output while doing less work.
 */
import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog } from '../../proxy/audit/audit-log.js';
import { verifyAuditFile } from '../../proxy/audit/verify.js';
import { findCards, luhn, type Span } from '../../proxy/masking/detectors.js';
import { Masker } from '../../proxy/masking/masker.js';
import { ResultMasker, type RowPlan } from '../../proxy/postgres/result-masker.js';
import type { Message } from '../../proxy/postgres/protocol.js';

function captureStdout<T>(fn: () => T): { writes: string[]; result: T } {
  const writes: string[] = [];
  const original = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    writes.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  try {
    return { writes, result: fn() };
  } finally {
    process.stdout.write = original;
  }
}

describe('issue #14: audit writer', () => {
  it('a session recording never holds a line the chain does not hold yet (deferred lines reach the recording after the file)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ag-perf14-'));
    const file = join(dir, 'audit.log');
    const log = new AuditLog({ file, recordingsDir: join(dir, 'sessions'), deferMs: 60_000 });
    const session = { id: 'aaaaaaaa-0000-4000-8000-000000000014' };
    log.append({ event: { action: 'statement.decision' }, session });
    // More deferred lines than a recording batch (32): the recording writes a batch on its own.
    for (let i = 0; i < 40; i++) log.defer({ event: { action: 'statement.completion' }, session });
    log.recordings!.flush();
    const chain = new Set(readFileSync(file, 'utf8').split('\n').filter(Boolean));
    const recording = readdirSync(join(dir, 'sessions', 'audit.log')).flatMap((f) =>
      readFileSync(join(dir, 'sessions', 'audit.log', f), 'utf8')
        .split('\n')
        .filter(Boolean),
    );
    expect(recording.filter((l) => !chain.has(l))).to.deep.equal([]);
    log.flush();
    const all = readdirSync(join(dir, 'sessions', 'audit.log')).flatMap((f) =>
      readFileSync(join(dir, 'sessions', 'audit.log', f), 'utf8')
        .split('\n')
        .filter(Boolean),
    );
    expect(all).to.deep.equal(readFileSync(file, 'utf8').split('\n').filter(Boolean));
    log.close();
  });

  it('a decision and the completions deferred before it reach stdout in one write, the same bytes as the file, in chain order', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ag-perf14-'));
    const file = join(dir, 'audit.log');
    const log = new AuditLog({ file, stdout: true, deferMs: 60_000 });
    const { writes } = captureStdout(() => {
      log.append({ event: { action: 'statement.decision' }, decision: 'Allow' });
      log.defer({ event: { action: 'statement.completion' }, decisionSeq: 1 });
      log.defer({ event: { action: 'statement.completion' }, decisionSeq: 1 });
      log.append({ event: { action: 'statement.decision' }, decision: 'Deny' });
    });
    log.close();
    expect(writes).to.have.length(2);
    expect(writes.join('')).to.equal(readFileSync(file, 'utf8'));
    expect(
      writes[1]!
        .split('\n')
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as { seq: number }).seq),
    ).to.deep.equal([2, 3, 4]);
    expect(verifyAuditFile(file).ok).to.equal(true);
  });

  it('a committed record is in the file when append returns; a deferred one waits for the next commit', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ag-perf14-'));
    const file = join(dir, 'audit.log');
    const log = new AuditLog({ file, deferMs: 60_000 });
    log.append({ event: { action: 'statement.decision' } });
    expect(readFileSync(file, 'utf8').split('\n').filter(Boolean)).to.have.length(1);
    log.defer({ event: { action: 'statement.completion' } });
    expect(readFileSync(file, 'utf8').split('\n').filter(Boolean)).to.have.length(1);
    log.append({ event: { action: 'statement.decision' } });
    expect(readFileSync(file, 'utf8').split('\n').filter(Boolean)).to.have.length(3);
    log.close();
    expect(verifyAuditFile(file).ok).to.equal(true);
  });
});

function dataRow(values: (string | null)[]): Message {
  const parts = values.map((v) => {
    const len = Buffer.alloc(4);
    if (v === null) {
      len.writeInt32BE(-1);
      return len;
    }
    const b = Buffer.from(v, 'utf8');
    len.writeInt32BE(b.length);
    return Buffer.concat([len, b]);
  });
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(7);
  head[0] = 0x44;
  head.writeInt32BE(6 + body.length, 1);
  head.writeInt16BE(values.length, 5);
  // Inside a larger chunk, as the framer hands messages over.
  const chunk = Buffer.concat([Buffer.from('xyz'), head, body, Buffer.from('tail')]);
  return { type: 0x44, buf: chunk, start: 3, end: chunk.length - 4 };
}

function values(b: Buffer): (string | null)[] {
  const n = b.readInt16BE(5);
  expect(b.readInt32BE(1)).to.equal(b.length - 1);
  const out: (string | null)[] = [];
  let pos = 7;
  for (let i = 0; i < n; i++) {
    const len = b.readInt32BE(pos);
    pos += 4;
    out.push(len < 0 ? null : b.toString('utf8', pos, pos + len));
    if (len > 0) pos += len;
  }
  expect(pos).to.equal(b.length);
  return out;
}

describe('issue #14: DataRow rewriting', () => {
  const masker = new ResultMasker(
    new Masker({
      detectors: ['creditCard', 'email'],
      columns: [{ name: 'ssn', strategy: 'redact' }],
      defaultStrategy: 'redact',
    }),
  );
  const text = (label: string, strategy?: 'redact'): RowPlan[number] => ({
    label,
    typeOid: 25,
    binary: false,
    ...(strategy ? { strategy } : {}),
  });
  const int8Binary: RowPlan[number] = { label: 'n', typeOid: 20, binary: true };

  it('a row whose values do not fill the message exactly is a protocol error, never forwarded unmasked', () => {
    const plan = [text('a'), text('b')];
    const row = dataRow(['4111 1111 1111 1111', 'x']);
    // Second value claims more bytes than the message holds (the bytes after it belong to the next message).
    const overrun = Buffer.from(row.buf);
    overrun.writeInt32BE(50, row.start + 7 + 4 + 19);
    expect(() => masker.dataRow({ ...row, buf: overrun }, plan)).to.throw(/runs past its end/);
    // Three columns declared, two present.
    const short = Buffer.from(row.buf);
    short.writeInt16BE(3, row.start + 5);
    expect(() => masker.dataRow({ ...row, buf: short }, [...plan, text('c')])).to.throw(/truncated/);
    // One column declared, two present: bytes the client would read as nothing.
    const trailing = Buffer.from(row.buf);
    trailing.writeInt16BE(1, row.start + 5);
    expect(() => masker.dataRow({ ...row, buf: trailing }, plan)).to.throw(/trailing bytes/);
  });

  it('nothing to mask: no new row at all', () => {
    expect(
      masker.dataRow(dataRow(['a', null, 'plain text', '']), [text('a'), text('b'), text('c'), text('d')]),
    ).to.equal(undefined);
  });

  it('masked values, NULLs, a value that becomes NULL and untouched values keep their places and the row its exact length', () => {
    const card = Buffer.alloc(8);
    card.writeBigInt64BE(4111111111111111n);
    const row = dataRow(['keep', null, 'mail ada@example.com now', 'ä-unicode', 'x', '4111 1111 1111 1111']);
    // Put a binary int8 card number in place of 'x' (same length words, so build it by hand).
    const plan: RowPlan = [text('a'), text('b'), text('c'), text('d'), text('ssn', 'redact'), text('f')];
    const r = masker.dataRow(row, plan)!;
    expect(r.count).to.equal(3);
    expect(values(r.buf)).to.deep.equal([
      'keep',
      null,
      'mail [redacted:email] now',
      'ä-unicode',
      '[redacted:ssn]',
      '[redacted:creditCard]',
    ]);
    const bin = dataRow(['placeholder', 'EMP']);
    const b = Buffer.concat([
      bin.buf.subarray(bin.start, bin.start + 7),
      Buffer.from([0, 0, 0, 8]),
      card,
      bin.buf.subarray(bin.start + 7 + 4 + 11, bin.end),
    ]);
    b.writeInt32BE(b.length - 1, 1);
    const rb = masker.dataRow({ type: 0x44, buf: b, start: 0, end: b.length }, [int8Binary, text('e')])!;
    expect(rb.count).to.equal(1);
    expect(values(rb.buf)).to.deep.equal([null, 'EMP']);
  });
});

/** The card scanner as it was before the whole-run fast path: per-digit arrays for every run. */
function referenceCards(s: string): Span[] {
  const out: Span[] = [];
  const n = s.length;
  const isDigit = (c: number): boolean => c >= 48 && c <= 57;
  let i = 0;
  while (i < n) {
    if (!isDigit(s.charCodeAt(i))) {
      i++;
      continue;
    }
    let count = 0;
    let j = i;
    const digits: number[] = [];
    while (j < n) {
      const c = s.charCodeAt(j);
      if (isDigit(c)) {
        count++;
        digits.push(j);
        j++;
      } else if ((c === 32 || c === 45) && isDigit(s.charCodeAt(j + 1))) j++;
      else break;
    }
    if (count >= 13 && count <= 19 && luhn(digits.map((k) => s[k]).join('')))
      out.push({ start: digits[0]!, end: digits[count - 1]! + 1, label: 'creditCard' });
    else if (count >= 13) {
      const windows: Span[] = [];
      findCards(
        digits
          .map((k) => s[k])
          .join('')
          .replace(/^/, 'x'),
        windows,
      ); // not a whole-run card: the window search applies
      for (const w of windows)
        out.push({ start: digits[w.start - 1]!, end: digits[w.end - 2]! + 1, label: 'creditCard' });
    }
    i = j;
  }
  return out;
}

describe('issue #14: card detector fast path', () => {
  it('finds exactly what the scanner found before, over random runs of digits, separators and letters', () => {
    let seed = 14;
    const rnd = (k: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % k;
    };
    const alphabet = '0123456789012345678901234567890123456789 -a';
    for (let t = 0; t < 4000; t++) {
      let s = '';
      const len = 10 + rnd(40);
      for (let k = 0; k < len; k++) s += alphabet[rnd(alphabet.length)];
      if (t % 3 === 0)
        s = `id ${['4111 1111 1111 1111', '5500-0000-0000-0004', '378282246310005', '4012888888881881'][rnd(4)]}${s}`;
      const got: Span[] = [];
      findCards(s, got);
      expect(got, s).to.deep.equal(referenceCards(s));
    }
  });
});
