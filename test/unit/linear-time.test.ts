/**
 * Hostile input costs linear time: every built-in detector, the masker (user patterns included), the
 * statement key, and the wire-protocol framer, on adversarial shapes. Each check compares the cost of
 * an input of size N with one of size 8N — a ratio, not a time: linear is about 8, quadratic 64; the
 * bound is 24 (garbage collection of the larger inputs on a busy shared machine pushes a linear ratio
 * past 16 at times, never toward 64). Costs are CPU time, the best of several trials.
 */
import { expect } from 'chai';
import { DETECTORS } from '../../proxy/masking/detectors.js';
import { Masker } from '../../proxy/masking/masker.js';
import { Framer } from '../../proxy/postgres/protocol.js';
import { fingerprint } from '../../proxy/sql/statement-key.js';

const BOUND = 24;

/** CPU milliseconds per call of `f`: calls repeated for at least `minMs`, best of `trials`. */
function cost(f: () => void, minMs = 10, trials = 3): number {
  let best = Infinity;
  for (let t = 0; t < trials; t++) {
    const t0 = process.cpuUsage();
    let reps = 0;
    let spent: number;
    do {
      f();
      reps++;
      const d = process.cpuUsage(t0);
      spent = (d.user + d.system) / 1000;
    } while (spent < minMs);
    best = Math.min(best, spent / reps);
  }
  return best;
}

/**
 * cost(8N) / cost(N) for inputs made by `make`. A ratio over the bound is measured again (up to three
 * times, the lowest kept): a quadratic cost stays near 64 every time, a noisy neighbour does not.
 */
function growth<T>(make: (n: number) => T, run: (input: T) => void, n: number): number {
  const small = make(n);
  const large = make(8 * n);
  run(small); // warm up the JIT before measuring
  run(large);
  let ratio = Infinity;
  for (let attempt = 0; attempt < 3 && ratio >= BOUND; attempt++)
    ratio = Math.min(ratio, cost(() => run(large)) / cost(() => run(small)));
  return ratio;
}

const repeat =
  (unit: string) =>
  (n: number): string =>
    unit.repeat(Math.ceil(n / unit.length));

const SHAPES: Record<string, (n: number) => string> = {
  'repeated eyJ': repeat('eyJ'),
  'JWT-like segments without a signature': repeat('eyJabcdefghijk.'),
  'JWT header and payload, short signatures': repeat('eyJabcdefghijk.eyJabcdefghijk.a.'),
  'BEGIN lines without END': repeat('-----BEGIN PRIVATE KEY-----'),
  'BEGIN and bad END lines': repeat('-----BEGIN PRIVATE KEY-----x-----END '),
  'glued key prefixes': repeat('xsk-'),
  'key prefix then one long run': (n) => `sk-${'a'.repeat(n)}`,
  'repeated AKIA': repeat('AKIA'),
  digits: repeat('1'),
  'digits with single spaces': repeat('4 '),
  'digits and dashes (SSN-like)': repeat('123-45-'),
  'repeated @': repeat('@'),
  'a. then one @': (n) => `${'a.'.repeat(n / 2)}@`,
  'a@ repeated': repeat('a@'),
  'local part then domain labels': repeat('a@b.c'),
  'IBAN starts': repeat('GB82'),
  'IBAN starts with spaces': repeat('GB82 '),
};

describe('linear time on hostile input (cost of 8N vs N)', function () {
  this.timeout(120_000);
  const N = 4096;

  for (const [shape, make] of Object.entries(SHAPES)) {
    it(`every built-in detector: ${shape}`, () => {
      for (const [name, detect] of Object.entries(DETECTORS)) {
        expect(
          growth(make, (s) => detect(s, []), N),
          `${name} on ${shape}`,
        ).to.be.lessThan(BOUND);
      }
    });
  }

  it('the masker with every detector and a user pattern (RE2)', () => {
    const m = new Masker({
      detectors: ['creditCard', 'email', 'usSsn', 'iban', 'secret'],
      defaultStrategy: 'redact',
      patterns: [{ name: 'nested', regex: '(a+)+b' }],
    });
    for (const [shape, make] of Object.entries({ ...SHAPES, 'a run for (a+)+b': repeat('a') })) {
      expect(
        growth(make, (s) => m.maskText(s), N),
        shape,
      ).to.be.lessThan(BOUND);
    }
  });

  it('the statement key and fingerprint', () => {
    for (const [shape, make] of Object.entries({
      'nested comment openers': repeat('/*'),
      'unterminated string': (n: number) => `SELECT '${'a'.repeat(n)}`,
      'dollar tags': repeat('$a$'),
      numbers: repeat('1.'),
      'eyJ comment': (n: number) => `SELECT 1 /* ${'eyJ'.repeat(n / 3)} */`,
    })) {
      expect(
        growth(make, (s) => fingerprint(s), N),
        shape,
      ).to.be.lessThan(BOUND);
    }
  });

  describe('the wire-protocol framer', () => {
    /** One DataRow-like message of `n` bytes. */
    const message = (n: number): Buffer => {
      const b = Buffer.alloc(n, 0x61);
      b[0] = 0x64;
      b.writeInt32BE(n - 1, 1);
      return b;
    };
    const chunked = (b: Buffer, size: number): Buffer[] => {
      const out: Buffer[] = [];
      for (let i = 0; i < b.length; i += size) out.push(b.subarray(i, i + size));
      return out;
    };
    const frame = (chunks: Buffer[]): void => {
      const f = new Framer(1 << 30);
      let got = 0;
      for (const c of chunks) f.push(c, () => got++);
      if (got === 0) throw new Error('no message framed');
    };

    it('one large message arriving in 64 KiB chunks', () => {
      expect(growth((n) => chunked(message(n), 64 * 1024), frame, 2 * 1024 * 1024)).to.be.lessThan(BOUND);
    });

    it('many messages whose headers are split across 3-byte chunks', () => {
      const stream = (n: number): Buffer[] =>
        chunked(Buffer.concat(Array.from({ length: n / 16 }, () => message(16))), 3);
      expect(growth(stream, frame, 64 * 1024)).to.be.lessThan(BOUND);
    });

    it('keeps complete messages as slices of their chunk (no copy)', () => {
      const chunk = Buffer.concat([message(10), message(20)]);
      const seen: Buffer[] = [];
      new Framer().push(chunk, (m) => seen.push(m.buf));
      expect(seen).to.have.length(2);
      expect(seen.every((b) => b === chunk)).to.equal(true);
    });
  });
});
