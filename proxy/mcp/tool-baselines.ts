/**
 * Where the first-seen fingerprint of each MCP tool (per target) is kept, first writer wins. In memory,
 * a restarted sidecar would take whatever definition it sees first as the baseline; the file store
 * (local mode: next to the audit log) is an append-only list of `{target, tool, sha256}` lines that a
 * restarted sidecar, or a second one sharing the directory, reads before it accepts anything: the first
 * line for a target and tool is the baseline. An unreadable or damaged file stops the sidecar at start
 * (fail closed: no baseline would silently be taken afresh); a baseline that cannot be written leaves
 * its tool blocked (ToolFingerprints).
 *
 * In a cluster (ReportedBaselines), the baselines the operator keeps on the policy's status come with the
 * compiled policy and win over this sidecar's own; a tool none is kept for is reported to the operator
 * (first report per target and tool wins there) and, meanwhile, held by the local store.
 */
import { appendFileSync, closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';

export interface BaselineStore {
  /** The baseline of a tool, if one is kept. */
  get(target: string, tool: string): string | undefined;
  /** Offers `sha256` as the baseline; returns the one kept (the earlier one, if any). Throws when it cannot keep it. */
  claim(target: string, tool: string, sha256: string): string;
  /** Whether any baseline is kept for the target (its tools were listed before, by this sidecar or another). */
  knows(target: string): boolean;
}

const key = (target: string, tool: string): string => `${target}\n${tool}`;
const targetOf = (k: string): string => k.slice(0, k.indexOf('\n'));

export class MemoryBaselines implements BaselineStore {
  private readonly kept = new Map<string, string>();
  private readonly targets = new Set<string>();

  knows(target: string): boolean {
    return this.targets.has(target);
  }

  get(target: string, tool: string): string | undefined {
    return this.kept.get(key(target, tool));
  }

  claim(target: string, tool: string, sha256: string): string {
    const k = key(target, tool);
    if (!this.kept.has(k)) this.kept.set(k, sha256);
    this.targets.add(target);
    return this.kept.get(k)!;
  }
}

export class FileBaselines implements BaselineStore {
  private readonly kept = new Map<string, string>();
  private readonly targets = new Set<string>();
  /** Bytes and lines read so far. */
  private size = -1;
  private lines = 0;

  constructor(private readonly file: string) {
    this.refresh();
  }

  get(target: string, tool: string): string | undefined {
    this.refresh();
    return this.kept.get(key(target, tool));
  }

  knows(target: string): boolean {
    this.refresh();
    return this.targets.has(target);
  }

  claim(target: string, tool: string, sha256: string): string {
    this.refresh();
    const k = key(target, tool);
    const known = this.kept.get(k);
    if (known !== undefined) return known;
    // One short line per append (O_APPEND): concurrent writers' lines never interleave.
    appendFileSync(this.file, `${JSON.stringify({ target, tool, sha256 })}\n`, { mode: 0o600 });
    this.refresh();
    return this.kept.get(k) ?? sha256;
  }

  /** Reads what was appended since the last read (another sidecar, or this one): never the whole file again. */
  private refresh(): void {
    if (!existsSync(this.file)) {
      if (this.size > 0) throw new Error(`MCP tool baselines ${this.file} disappeared`);
      return;
    }
    const size = statSync(this.file).size;
    const from = Math.max(this.size, 0);
    if (size === from) return;
    if (size < from) throw new Error(`MCP tool baselines ${this.file} shrank (${from} to ${size} bytes)`);
    const fd = openSync(this.file, 'r');
    let text: string;
    try {
      const buf = Buffer.alloc(size - from);
      let got = 0;
      while (got < buf.length) {
        const n = readSync(fd, buf, got, buf.length - got, from + got);
        if (n === 0) break;
        got += n;
      }
      text = buf.subarray(0, got).toString('utf8');
    } finally {
      closeSync(fd);
    }
    const lines = text.split('\n');
    if (lines.at(-1) !== '') throw new Error(`MCP tool baselines ${this.file}: the last line is incomplete`);
    for (const [i, line] of lines.slice(0, -1).entries()) {
      const e = parseLine(line);
      if (!e)
        throw new Error(`MCP tool baselines ${this.file}: line ${this.lines + i + 1} is not {target, tool, sha256}`);
      if (!this.kept.has(key(e.target, e.tool))) this.kept.set(key(e.target, e.tool), e.sha256);
      this.targets.add(e.target);
    }
    this.lines += lines.length - 1;
    this.size = from + Buffer.byteLength(text);
  }
}

function parseLine(line: string): { target: string; tool: string; sha256: string } | undefined {
  try {
    const v = JSON.parse(line) as Record<string, unknown>;
    if (
      typeof v.target === 'string' &&
      typeof v.tool === 'string' &&
      typeof v.sha256 === 'string' &&
      /^[0-9a-f]{64}$/.test(v.sha256)
    )
      return { target: v.target, tool: v.tool, sha256: v.sha256 };
  } catch {
    // not JSON
  }
  return undefined;
}

/** Baselines kept on the policy's status (cluster mode), this sidecar's own store until the operator has one. */
export class ReportedBaselines implements BaselineStore {
  private readonly reportedAt = new Map<string, number>();

  constructor(
    private readonly o: {
      /** The baselines the compiled policy in force carries, by `target\ntool`. */
      compiled: () => Map<string, string>;
      local: BaselineStore;
      /** Sends a first-seen report to the operator (fire and forget). */
      report: (target: string, tool: string, sha256: string) => void;
      now?: () => number;
    },
  ) {}

  get(target: string, tool: string): string | undefined {
    return this.o.compiled().get(key(target, tool)) ?? this.o.local.get(target, tool);
  }

  knows(target: string): boolean {
    if (this.o.local.knows(target)) return true;
    for (const k of this.o.compiled().keys()) if (targetOf(k) === target) return true;
    return false;
  }

  claim(target: string, tool: string, sha256: string): string {
    const k = key(target, tool);
    const kept = this.o.compiled().get(k);
    if (kept !== undefined) return kept;
    const own = this.o.local.claim(target, tool, sha256);
    // Reported again (at most once a minute) until the compiled policy carries a baseline: a lost report is retried.
    const now = (this.o.now ?? Date.now)();
    const last = this.reportedAt.get(k);
    if (last === undefined || now - last >= 60_000) {
      this.reportedAt.set(k, now);
      this.o.report(target, tool, own);
    }
    return own;
  }
}
