import { EventEmitter } from 'node:events';

/** The part of net.Socket a Postgres session uses, in memory: what is written goes to `sink`. */
export class MemorySocket extends EventEmitter {
  destroyed = false;
  closed = false;
  constructor(private readonly sink: (b: Buffer) => void) {
    super();
  }
  write(b: Buffer): boolean {
    this.sink(b);
    return true;
  }
  pause(): this {
    return this;
  }
  resume(): this {
    return this;
  }
  end(): this {
    return this;
  }
  destroy(): this {
    this.destroyed = true;
    return this;
  }
}
