/**
 * The hash-chained audit log. Each record is serialized once into its final line (the hash computed over
 * that same text) and written with plain synchronous writes, no logging library in between: when
 * `append` returns, the record is on disk (or the log is marked failed and the proxy denies from then
 * on: no audit, no access). Restarting on an existing file continues its chain from the last line.
 */
import { hash as digest } from 'node:crypto';
import { closeSync, existsSync, fstatSync, openSync, readSync, renameSync } from 'node:fs';
import { recordingsDirOf, SessionRecordings } from './recordings.js';
import { repairRecordings } from './recordings-repair.js';
import { LineBuffer } from './line-buffer.js';
import { AUDIT_SCHEMA, GENESIS_HASH, parseRecord, type AuditFields, type AuditRecord } from './record.js';

/**
 * Where chained lines go: the audit file (synchronous writes) and/or stdout. Deferred lines
 * (completions) wait in memory and go out with the next committed line (a decision) or at the end of
 * `deferMs`: one write per statement instead of two, and a decision is never acknowledged before it is
 * on disk. Copies of a line (session recordings) are handed on only once the line is written, so a
 * recording never holds a line the chain lacks, whenever the process dies.
 */
class LineSink {
  failure?: Error;
  private fd?: number;
  private readonly pending = new LineBuffer();
  private pendingCopies: RecordingCopy[] = [];
  private size = 0;
  rotations = 0;

  constructor(
    private readonly path: string | undefined,
    private readonly stdout: boolean,
    private readonly maxBytes = 0,
    private readonly onWritten?: (copy: RecordingCopy) => void,
  ) {
    if (path === undefined) return;
    try {
      this.fd = openSync(path, 'a', 0o600);
      this.size = fstatSync(this.fd).size;
    } catch (e) {
      this.failure = e as Error;
    }
  }

  add(line: string, commit: boolean, copy?: RecordingCopy): void {
    this.pending.push(line);
    if (copy) this.pendingCopies.push(copy);
    if (commit) this.flush();
  }

  flush(): void {
    if (this.pending.empty) return;
    const copies = this.pendingCopies;
    this.pendingCopies = [];
    if (this.stdout) process.stdout.write(this.pending.copy());
    if (this.failure) return this.pending.clear();
    if (this.fd === undefined) this.pending.clear();
    else {
      try {
        this.size += this.pending.writeTo(this.fd);
        if (this.maxBytes > 0 && this.size >= this.maxBytes) this.rotate();
      } catch (e) {
        this.failure = e as Error;
        return;
      }
    }
    if (this.onWritten) for (const c of copies) this.onWritten(c);
  }

  /**
   * Size-based rotation: the full file becomes FILE.<UTC time> and a new FILE starts. The chain runs on
   * across files (the next record's prevHash is the last hash of the rotated file: its anchor), so
   * `agentgate audit verify` over the files, oldest first, still detects any gap.
   */
  private rotate(): void {
    closeSync(this.fd!);
    renameSync(
      this.path!,
      `${this.path}.${new Date().toISOString().replace(/[:.]/g, '-')}-${String(++this.rotations).padStart(6, '0')}`,
    ); // sorts oldest first
    this.fd = openSync(this.path!, 'a', 0o600);
    this.size = 0;
  }

  close(): void {
    this.flush();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

interface RecordingCopy {
  session: string;
  line: string;
  last: boolean;
}

export interface ScopedAudit {
  append(fields: AuditFields): AppendedRecord;
  defer(fields: AuditFields): AppendedRecord | undefined;
  tryAppend(fields: AuditFields): AppendedRecord | undefined;
  /**
   * tryAppend of a record already serialized: `own` is exactly `JSON.stringify(fields()).slice(1, -1)`,
   * and `fields` builds the same record as an object, asked only when someone observes the log.
   */
  tryAppendSerialized?(own: string, fields: () => AuditFields): AppendedRecord | undefined;
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
  private readonly sink: LineSink;
  readonly recordings?: SessionRecordings;
  private readonly now: () => Date;
  private failure?: Error;
  private lastTime?: string;
  private readonly deferMs: number;
  private readonly observers: ((fields: AuditFields, line: string) => void)[] = [];

  constructor(opts: AuditLogOptions) {
    this.now = opts.now ?? (() => new Date());
    this.deferMs = opts.deferMs ?? 20;
    if (opts.file && existsSync(opts.file)) this.resumeChain(opts.file);
    if (opts.recordingsDir)
      this.recordings = new SessionRecordings(
        opts.file ? recordingsDirOf(opts.recordingsDir, opts.file) : opts.recordingsDir,
      );
    const recordings = this.recordings;
    this.sink = new LineSink(
      opts.file,
      opts.stdout ?? false,
      opts.maxBytes ?? 0,
      recordings && ((c) => recordings.add(c.session, c.line, c.last)),
    );
    if (opts.file && this.recordings && this.seq > 0 && this.healthy)
      this.completeRecordings(opts.file, this.recordings.dir);
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
      result = {
        repaired: [],
        skipped: [{ session: '*', reason: `could not complete the recordings: ${(e as Error).message}` }],
      };
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
    return this.failure ?? this.sink.failure;
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
      tryAppendSerialized: (own, fields) => {
        try {
          return this.writeLine(own, fields, true, fragment, session, false);
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
        this.sink.flush();
      }, this.deferMs).unref();
      return rec;
    } catch {
      return undefined;
    }
  }

  private write(fields: AuditFields, commit: boolean, fragment = '', session?: string): AppendedRecord {
    return this.writeLine(
      JSON.stringify(fields).slice(1, -1),
      () => fields,
      commit,
      fragment,
      session,
      fields.event.action === 'connection.close',
    );
  }

  /** Chains and writes one record whose own fields are serialized as `own`; `fields` is the same record, for observers. */
  private writeLine(
    own: string,
    fields: () => AuditFields,
    commit: boolean,
    fragment: string,
    session: string | undefined,
    last: boolean,
  ): AppendedRecord {
    if (!this.healthy) throw new Error(`audit log unavailable: ${this.error!.message}`);
    const seq = ++this.seq;
    const time = this.now().toISOString();
    const body = `{"schema":"${AUDIT_SCHEMA}","seq":${seq},"@timestamp":"${time}"${fragment ? `,${fragment}` : ''}${own ? `,${own}` : ''},"prevHash":"${this.prevHash}"}`;
    const hash = digest('sha256', body, 'hex');
    const line = `${body.slice(0, -1)},"hash":"${hash}"}`;
    this.sink.add(line, commit, session && this.recordings ? { session, line, last } : undefined);
    if (!this.healthy) throw new Error(`audit log write failed: ${this.error!.message}`);
    const prevHash = this.prevHash;
    this.prevHash = hash;
    this.lastTime = time;
    let observed: AuditFields | undefined;
    for (const o of this.observers) {
      try {
        o((observed ??= fields()), line);
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
    this.sink.flush();
    return this.seq === 0 || !this.healthy
      ? undefined
      : { seq: this.seq, hash: this.prevHash, time: this.lastTime ?? this.now().toISOString() };
  }

  /** Writes deferred records, and the session recordings' pending lines, now. */
  flush(): void {
    this.sink.flush();
    this.recordings?.flush();
  }

  close(): void {
    clearTimeout(this.flushTimer);
    this.sink.close();
    this.failure ??= new Error('audit log closed');
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
