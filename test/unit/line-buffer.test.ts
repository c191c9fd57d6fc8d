import { expect } from 'chai';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LineBuffer } from '../../proxy/audit/line-buffer.js';

describe('LineBuffer (audit and recording writes)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'line-buffer-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function written(batches: string[][], keep: number): string {
    const file = join(dir, 'out');
    const fd = openSync(file, 'a');
    const b = new LineBuffer(keep);
    try {
      for (const lines of batches) {
        for (const l of lines) b.push(l);
        expect(b.writeTo(fd)).to.equal(Buffer.byteLength(lines.map((l) => `${l}\n`).join('')));
        expect(b.empty).to.equal(true);
      }
    } finally {
      closeSync(fd);
    }
    return readFileSync(file, 'utf8');
  }

  it('writes lines as their UTF-8 text, newline-terminated, whatever their characters', () => {
    const lines = ['{"a":1}', 'ümlaut €', '𝄞 pairs 😀', 'lone \ud800 surrogate', ''];
    expect(written([lines], 16)).to.equal(lines.map((l) => `${l.replace('\ud800', '\ufffd')}\n`).join(''));
  });

  it('grows past its kept size for one batch and is exact again in the next', () => {
    const big = 'x'.repeat(100_000);
    const lines = [[big, '€'.repeat(40_000)], ['after'], [big]];
    expect(written(lines, 1024)).to.equal(
      lines
        .flat()
        .map((l) => `${l}\n`)
        .join(''),
    );
  });

  it('hands out a copy that later pushes do not change', () => {
    const b = new LineBuffer(8);
    b.push('first');
    const copy = b.copy();
    b.clear();
    b.push('other');
    expect(copy.toString()).to.equal('first\n');
  });

  it('is empty after a write that fails', () => {
    const b = new LineBuffer();
    b.push('line');
    expect(() => b.writeTo(-1)).to.throw();
    expect(b.empty).to.equal(true);
  });
});
