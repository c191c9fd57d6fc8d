/**
 * The hash-chained audit log. Records go through winston to stdout and/or a file; the file transport
 * writes synchronously, so when `append` returns, the record is on disk (or the log is marked failed
 * and the proxy denies from then on: no audit, no access). Restarting on an existing file continues
 * its chain from the last line.
 */
import { hash as digest } from 'node:crypto';
import { closeSync, existsSync, fstatSync, openSync, readSync, renameSync, writeSync } from 'node:fs';
import winston from 'winston';
import TransportStream from 'winston-transport';
import { recordingsDirOf, SessionRecordings } from './recordings.js';
import { repairRecordings } from './recordings-repair.js';
import { AUDIT_SCHEMA, GENESIS_HASH, parseRecord, type AuditFields, type AuditRecord } from './record.js';

const MESSAGE = Symbol.for('message');

/**
 * Appends lines with synchronous writes. Deferred records (completions) wait in memory and go out
 * with the next committed record (a decision) or at the end of the event-loop turn: one write per
 * statement instead of two, and a decision is never acknowledged before it is on disk.
 */
class SyncFileTransport extends TransportStream {
  failure?: Error;
  private fd?: number;
  private pending: string[] = [];
  private size = 0;
  rotations = 0;

  constructor(private readonly path: string, private readonly maxBytes = 0) {
    super();
    try {
      this.fd = openSync(path, 'a', 0o600);
      this.size = fstatSync(this.fd).size;
    } catch (e) {
      this.failure = e as Error;
    }
  }

  override log(info: Record<string | symbol, unknown>, next: () => void): void {
    this.pending.push(`${info[MESSAGE] as string}\n`);
    if (info.commit) this.flushPending();
    next();
  }

  flushPending(): void {
    if (this.pending.length === 0) return;
    const data = this.pending.length === 1 ? this.pending[0]! : this.pending.join('');
    this.pending = [];
    if (this.fd === undefined || this.failure) return;
    try {
      this.size += writeSync(this.fd, data);
      if (this.maxBytes > 0 && this.size >= this.maxBytes) this.rotate();
    } catch (e) {
      this.failure = e as Error;
    }
  }

  /**
   * Size-based rotation: the full file becomes FILE.<UTC time> and a new FILE starts. The chain runs on
   * across files (the next record's prevHash is the last hash of the rotated file: its anchor), so
   * `agentgate audit verify` over the files, oldest first, still detects any gap.
   */
  private rotate(): void {
    closeSync(this.fd!);
    renameSync(this.path, `${this.path}.${new Date().toISOString().replace(/[:.]/g, "-")}-${String(++this.rotations).padStart(6, "0")}`); // sorts oldest first
    this.fd = openSync(this.path, 'a', 0o600);
    this.size = 0;
  }

  override close(): void {
    this.flushPending();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

export interface ScopedAudit {
  append(fields: AuditFields): AppendedRecord;
  defer(fields: AuditFields): AppendedRecord | undefined;
  tryAppend(fields: AuditFields): AppendedRecord | undefined;
}

/** Where a record landed in the chain. */
export type AppendedRecord = Pick<AuditRecord, 'seq' | 'prevHash' | 'hash'> & { time: string };

export interface AuditLogOptions {
  file?: string;
  stdout?: boolean;
  /** Injected clock, for tests. */
  now?: () => Date;
  /** Longest a deferred record waits in memory (default 20 ms). */
  deferMs?: number;
  /** Rotate the file when it reaches this size (0: never). */
  maxBytes?: number;
  /**
   * Write per-session recordings (copies of the session's chained lines) under this directory, which
   * other proxies may share: with a file, into its own subdirectory named after the file.
   */
  recordingsDir?: string;
}

export class AuditLog {
  private prevHash = GENESIS_HASH;
  private seq = 0;
  private readonly logger: winston.Logger;
  private readonly fileTransport?: SyncFileTransport;
  readonly recordings?: SessionRecordings;
  private readonly now: () => Date;
  private failure?: Error;
  private lastTime?: string;
  private readonly deferMs: number;
  private readonly observers: ((fields: AuditFields, line: string) => void)[] = [];

  constructor(opts: AuditLogOptions) {
    this.now = opts.now ?? (() => new Date());
    this.deferMs = opts.deferMs ?? 20;
    const transports: TransportStream[] = [];
    if (opts.file) {
      if (existsSync(opts.file)) this.resumeChain(opts.file);
      this.fileTransport = new SyncFileTransport(opts.file, opts.maxBytes ?? 0);
      transports.push(this.fileTransport);
    }
    if (opts.recordingsDir) this.recordings = new SessionRecordings(opts.file ? recordingsDirOf(opts.recordingsDir, opts.file) : opts.recordingsDir);
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
    if (opts.file && this.recordings && this.seq > 0 && this.healthy) this.completeRecordings(opts.file, this.recordings.dir);
  }

  /**
   * After a crash the chain is whole but the batched recordings may lack their last lines: complete
   * them from the chain before anything else is written, and record that it was done (recordings-repair.ts).
   */
  private completeRecordings(file: string, dir: string): void {
    let result: ReturnType<typeof repairRecordings>;
    try {
      result = repairRecordings(dir, file);
    } catch (e) {
      // Recordings are copies: the proxy starts anyway, and the chain says they were not completed.
      result = { repaired: [], skipped: [{ session: '*', reason: `could not complete the recordings: ${(e as Error).message}` }] };
    }
    const { repaired, skipped } = result;
    if (!repaired.length && !skipped.length) return;
    const lines = repaired.reduce((n, r) => n + r.lines, 0);
    this.append({
      event: { action: 'audit.recordings-repaired', outcome: skipped.length ? 'failure' : 'success' },
      message: `${repaired.length} session recording(s) completed from the chain after an unclean stop (${lines} line(s))${skipped.length ? `; ${skipped.length} left as found (not a prefix of the chain)` : ''}`,
      detail: { recordings: repaired, ...(skipped.length ? { skipped } : {}) },
    });
  }

  /** Why the log cannot be written, if it cannot. */
  get error(): Error | undefined {
    return this.failure ?? this.fileTransport?.failure;
  }

  get healthy(): boolean {
    return this.error === undefined;
  }

  /** Appends one record and writes it (with any deferred ones) before returning; throws if it could not. */
  append(fields: AuditFields): AppendedRecord {
    return this.write(fields, true, '', fields.session?.id);
  }

  /**
   * Appends a record whose write may wait for the next committed record, at most `deferMs`
   * (statement completions: they follow their decision, which was committed before forwarding).
   * Under load they ride along with the next decision: one write per statement instead of two.
   */
  defer(fields: AuditFields): AppendedRecord | undefined {
    return this.deferWith(fields, '', fields.session?.id);
  }

  private flushTimer?: NodeJS.Timeout;

  /**
   * Records that share fields (a session's ids, principal, target, policy): those are serialized once,
   * and each record only serializes what is its own. The lines are the same as with append().
   */
  scope(shared: Partial<AuditFields>): ScopedAudit {
    const fragment = JSON.stringify(shared).slice(1, -1);
    const session = shared.session?.id;
    return {
      append: (fields) => this.write(fields, true, fragment, session),
      defer: (fields) => this.deferWith(fields, fragment, session),
      tryAppend: (fields) => {
        try {
          return this.write(fields, true, fragment, session);
        } catch {
          return undefined;
        }
      },
    };
  }

  private deferWith(fields: AuditFields, fragment: string, session?: string): AppendedRecord | undefined {
    try {
      const rec = this.write(fields, false, fragment, session);
      this.flushTimer ??= setTimeout(() => {
        this.flushTimer = undefined;
        this.fileTransport?.flushPending();
      }, this.deferMs).unref();
      return rec;
    } catch {
      return undefined;
    }
  }

  private write(fields: AuditFields, commit: boolean, fragment = '', session?: string): AppendedRecord {
    if (!this.healthy) throw new Error(`audit log unavailable: ${this.error!.message}`);
    const seq = ++this.seq;
    const time = this.now().toISOString();
    const own = JSON.stringify(fields).slice(1, -1);
    const body = `{"schema":"${AUDIT_SCHEMA}","seq":${seq},"@timestamp":"${time}"${fragment ? `,${fragment}` : ''}${own ? `,${own}` : ''},"prevHash":"${this.prevHash}"}`;
    const hash = digest('sha256', body, 'hex');
    const line = `${body.slice(0, -1)},"hash":"${hash}"}`;
    this.logger.log({ level: 'info', message: line, commit });
    if (!this.healthy) throw new Error(`audit log write failed: ${this.error!.message}`);
    if (session && this.recordings) this.recordings.add(session, line, fields.event.action === 'connection.close');
    const prevHash = this.prevHash;
    this.prevHash = hash;
    this.lastTime = time;
    for (const o of this.observers) {
      try {
        o(fields, line);
      } catch {
        // an observer (deviation reporting) never fails a write
      }
    }
    return { seq, time, prevHash, hash };
  }

  /**
   * Tells `observer` about every record once it is written (its own fields, and the line as chained).
   * It runs on the statement path: it must only look and queue (proxy/cluster/deviation-reporter.ts).
   */
  observe(observer: (fields: AuditFields, line: string) => void): void {
    this.observers.push(observer);
  }

  /** Like append, but never throws (for records after the fact, e.g. a completion). */
  tryAppend(fields: AuditFields): AppendedRecord | undefined {
    try {
      return this.append(fields);
    } catch {
      return undefined;
    }
  }

  /** The last record written (deferred ones flushed first), or nothing for an empty chain. */
  head(): { seq: number; hash: string; time: string } | undefined {
    this.fileTransport?.flushPending();
    return this.seq === 0 || !this.healthy ? undefined : { seq: this.seq, hash: this.prevHash, time: this.lastTime ?? this.now().toISOString() };
  }

  /** Writes deferred records, and the session recordings' pending lines, now. */
  flush(): void {
    this.fileTransport?.flushPending();
    this.recordings?.flush();
  }

  close(): void {
    clearTimeout(this.flushTimer);
    this.fileTransport?.close();
    this.failure ??= new Error('audit log closed');
    this.logger.close();
    this.recordings?.close();
  }

  private resumeChain(file: string): void {
    const last = lastLine(file);
    if (!last) return;
    try {
      const rec = parseRecord(last);
      this.prevHash = rec.hash;
      this.seq = rec.seq;
      this.lastTime = rec['@timestamp'];
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
