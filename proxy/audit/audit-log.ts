/**
 * The hash-chained audit log. Records go through winston to stdout and/or a file; the file transport
 * writes synchronously, so when `append` returns, the record is on disk (or the log is marked failed
 * and the proxy denies from then on: no audit, no access). Restarting on an existing file continues
 * its chain from the last line.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import winston from 'winston';
import TransportStream from 'winston-transport';
import { AUDIT_SCHEMA, GENESIS_HASH, type AuditFields, type AuditRecord } from './record.js';

const MESSAGE = Symbol.for('message');

class SyncFileTransport extends TransportStream {
  failure?: Error;
  private fd?: number;

  constructor(private readonly path: string) {
    super();
    try {
      this.fd = openSync(path, 'a', 0o600);
    } catch (e) {
      this.failure = e as Error;
    }
  }

  override log(info: Record<string | symbol, unknown>, next: () => void): void {
    if (this.fd === undefined || this.failure) return next();
    try {
      writeSync(this.fd, `${info[MESSAGE] as string}\n`);
    } catch (e) {
      this.failure = e as Error;
    }
    next();
  }

  override close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

export interface AuditLogOptions {
  file?: string;
  stdout?: boolean;
  /** Injected clock, for tests. */
  now?: () => Date;
}

export class AuditLog {
  private prevHash = GENESIS_HASH;
  private seq = 0;
  private readonly logger: winston.Logger;
  private readonly fileTransport?: SyncFileTransport;
  private readonly now: () => Date;
  private failure?: Error;

  constructor(opts: AuditLogOptions) {
    this.now = opts.now ?? (() => new Date());
    const transports: TransportStream[] = [];
    if (opts.file) {
      if (existsSync(opts.file)) this.resumeChain(opts.file);
      this.fileTransport = new SyncFileTransport(opts.file);
      transports.push(this.fileTransport);
    }
    if (opts.stdout) transports.push(new winston.transports.Console());
    if (transports.length === 0) transports.push(new winston.transports.Console({ silent: true }));
    this.logger = winston.createLogger({
      level: 'info',
      format: winston.format((info) => {
        info[MESSAGE] = info.message;
        return info;
      })(),
      transports,
    });
  }

  /** Why the log cannot be written, if it cannot. */
  get error(): Error | undefined {
    return this.failure ?? this.fileTransport?.failure;
  }

  get healthy(): boolean {
    return this.error === undefined;
  }

  /** Appends one record; returns it with seq and hash, or throws if the log could not be written. */
  append(fields: AuditFields): AuditRecord {
    if (!this.healthy) throw new Error(`audit log unavailable: ${this.error!.message}`);
    const seq = ++this.seq;
    const body = JSON.stringify({ schema: AUDIT_SCHEMA, seq, time: this.now().toISOString(), ...fields, prevHash: this.prevHash });
    const hash = createHash('sha256').update(body).digest('hex');
    const line = `${body.slice(0, -1)},"hash":"${hash}"}`;
    this.logger.info(line);
    if (!this.healthy) throw new Error(`audit log write failed: ${this.error!.message}`);
    this.prevHash = hash;
    return { ...(JSON.parse(body) as Omit<AuditRecord, 'hash'>), hash };
  }

  /** Like append, but never throws (for records after the fact, e.g. a completion). */
  tryAppend(fields: AuditFields): AuditRecord | undefined {
    try {
      return this.append(fields);
    } catch {
      return undefined;
    }
  }

  close(): void {
    this.fileTransport?.close();
    this.logger.close();
  }

  private resumeChain(file: string): void {
    const last = lastLine(file);
    if (!last) return;
    try {
      const rec = JSON.parse(last) as AuditRecord;
      this.prevHash = rec.hash;
      this.seq = rec.seq;
    } catch {
      // A torn last line: refuse to write after it rather than silently fork the chain.
      this.failure = new Error(`cannot continue the audit chain: the last line of ${file} is not a complete record`);
    }
  }
}

function lastLine(file: string): string | undefined {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const chunk = Buffer.alloc(Math.min(size, 1 << 20));
    readSync(fd, chunk, 0, chunk.length, size - chunk.length);
    const text = chunk.toString('utf8').replace(/\n+$/, '');
    const i = text.lastIndexOf('\n');
    return text.slice(i + 1) || undefined;
  } finally {
    closeSync(fd);
  }
}

/** hash of a record line as written: sha256 of the line without its trailing `,"hash":"…"}`. */
export function lineHash(line: string): { body: string; claimed: string } | undefined {
  const m = /,"hash":"([0-9a-f]{64})"\}$/.exec(line);
  if (!m) return undefined;
  return { body: `${line.slice(0, m.index)}}`, claimed: m[1]! };
}
