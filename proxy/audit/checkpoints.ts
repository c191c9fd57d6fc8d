/**
 * Signed checkpoints of the audit chain. Every `everyMs` (and at shutdown) the proxy hands its chain
 * head (seq, hash) to a witness that signs it and keeps its own copy: the operator in a cluster, a
 * key + file of its own in local mode. The signed checkpoint is written into the chain as an
 * `audit.checkpoint` record. The chain alone shows edits, insertions and gaps; the witness's copy shows
 * a truncated tail too (the log must still contain the witnessed head).
 */
import type { AuditLog } from './audit-log.js';
import type { ChainHead, WitnessedCheckpoint } from '../../shared/contract/checkpoint.js';

export interface CheckpointWitness {
  /** Names the witness in the audit record (e.g. the operator URL, a witness file). */
  readonly name: string;
  witness(head: ChainHead): Promise<WitnessedCheckpoint>;
}

export interface CheckpointerOptions {
  audit: AuditLog;
  witness: CheckpointWitness;
  stream: string;
  /** How often to checkpoint when the chain has grown (default 60 s). */
  everyMs?: number;
  log?: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
  /** Told about each failed attempt (the proxy makes it a Warning Event on its pod). */
  onFailure?: (message: string) => void;
}

export class Checkpointer {
  private timer?: NodeJS.Timeout;
  /** The seq of our own last checkpoint record: a chain that only grew by it needs no new one. */
  private lastRecordSeq = 0;
  private running?: Promise<void>;
  failures = 0;

  constructor(private readonly o: CheckpointerOptions) {}

  /**
   * Checkpoints now (the witness learns of the chain from its first records: a log the witness never
   * signed does not verify) and then every `everyMs`.
   */
  start(): void {
    this.timer = setInterval(() => void this.checkpoint(), this.everyMs);
    this.timer.unref();
    void this.checkpoint();
  }

  private get everyMs(): number {
    return this.o.everyMs ?? 60_000;
  }

  /** Witnesses the current head, unless nothing was written since the last checkpoint. */
  checkpoint(): Promise<void> {
    this.running ??= this.run().finally(() => (this.running = undefined));
    return this.running;
  }

  private async run(): Promise<void> {
    const head = this.o.audit.head();
    if (!head || head.seq === this.lastRecordSeq) return;
    try {
      const signed = await this.o.witness.witness({ stream: this.o.stream, ...head });
      const rec = this.o.audit.append({
        event: { action: 'audit.checkpoint' },
        message: `chain head seq ${head.seq} witnessed by ${this.o.witness.name}`,
        detail: {
          checkpoint: {
            stream: signed.stream,
            seq: signed.seq,
            hash: signed.hash,
            signedAt: signed.signedAt,
            witness: this.o.witness.name,
            everyMs: this.everyMs,
            jws: signed.jws,
          },
        },
      });
      this.lastRecordSeq = rec.seq;
    } catch (e) {
      this.failures++;
      const message = (e as Error).message;
      this.o.log?.('warn', 'audit checkpoint failed', { witness: this.o.witness.name, error: message });
      this.o.onFailure?.(
        `the audit chain head (seq ${head.seq}) could not be witnessed by ${this.o.witness.name}: ${message}`,
      );
      // Recorded, and retried at the next tick: a witness outage shows in the chain.
      this.o.audit.tryAppend({
        event: { action: 'audit.checkpoint-failed' },
        message: `witness ${this.o.witness.name}: ${message}`,
        detail: { stream: this.o.stream, seq: head.seq },
      });
    }
  }

  /** A last checkpoint (call after the final record, before closing the log). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
    await this.checkpoint();
  }
}
