/**
 * Lines encoded straight into one reusable buffer and written with synchronous writes. Concatenating
 * the lines as strings made V8 flatten the rope into a new string before every write (11.7 % of the
 * proxy's allocations per statement, docs/performance.md round 13); here each line is encoded once into
 * memory kept between writes.
 */
import { writeSync } from 'node:fs';

const NEWLINE = 0x0a;

export class LineBuffer {
  private buf: Buffer;
  private used = 0;

  /** `keep` bytes stay allocated between writes; a batch larger than that grows the buffer only until it is written. */
  constructor(private readonly keep = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(keep);
  }

  get empty(): boolean {
    return this.used === 0;
  }

  /** Appends `line` and a newline. */
  push(line: string): void {
    // A UTF-16 code unit is at most 3 bytes of UTF-8 (a surrogate pair, two units, is 4).
    const room = this.used + line.length * 3 + 1;
    if (room > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(room, this.buf.length * 2));
      this.buf.copy(bigger, 0, 0, this.used);
      this.buf = bigger;
    }
    this.used += this.buf.write(line, this.used, 'utf8');
    this.buf[this.used++] = NEWLINE;
  }

  /** A copy of the pending bytes (for a consumer that keeps them past the next push). */
  copy(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.used));
  }

  /**
   * Writes every pending byte to `fd` and returns how many. A short write (a full disk) is continued, so
   * it ends in an error, never in a silently torn line. Empties the buffer even when a write throws.
   */
  writeTo(fd: number): number {
    const total = this.used;
    try {
      let written = 0;
      while (written < total) written += writeSync(fd, this.buf, written, total - written);
      return total;
    } finally {
      this.clear();
    }
  }

  clear(): void {
    this.used = 0;
    if (this.buf.length > this.keep) this.buf = Buffer.allocUnsafe(this.keep);
  }
}
