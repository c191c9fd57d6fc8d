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
import { appendFileSync, existsSync, readFileSync, statSync } from 'node:fs';

export interface BaselineStore {
  /** The baseline of a tool, if one is kept. */
  get(target: string, tool: string): string | undefined;
  /** Offers `sha256` as the baseline; returns the one kept (the earlier one, if any). Throws when it cannot keep it. */
  claim(target: string, tool: string, sha256: string): string;
}

const key = (target: string, tool: string): string => `${target}\n${tool}`;

export class MemoryBaselines implements BaselineStore {
  private readonly kept = new Map<string, string>();

  get(target: string, tool: string): string | undefined {
    return this.kept.get(key(target, tool));
  }

  claim(target: string, tool: string, sha256: string): string {
    const k = key(target, tool);
    if (!this.kept.has(k)) this.kept.set(k, sha256);
    return this.kept.get(k)!;
  }
}

export class FileBaselines implements BaselineStore {
  private kept = new Map<string, string>();
  private size = -1;

  constructor(private readonly file: string) {
    this.refresh();
  }

  get(target: string, tool: string): string | undefined {
    this.refresh();
    return this.kept.get(key(target, tool));
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

  /** Reads the file again when it grew (another sidecar, or this one, appended). */
  private refresh(): void {
    if (!existsSync(this.file)) {
      if (this.size > 0) throw new Error(`MCP tool baselines ${this.file} disappeared`);
      return;
    }
    const size = statSync(this.file).size;
    if (size === this.size) return;
    const kept = new Map<string, string>();
    const lines = readFileSync(this.file, 'utf8').split('\n');
    if (lines.at(-1) !== '') throw new Error(`MCP tool baselines ${this.file}: the last line is incomplete`);
    for (const [i, line] of lines.slice(0, -1).entries()) {
      const e = parseLine(line);
      if (!e) throw new Error(`MCP tool baselines ${this.file}: line ${i + 1} is not {target, tool, sha256}`);
      if (!kept.has(key(e.target, e.tool))) kept.set(key(e.target, e.tool), e.sha256);
    }
    this.kept = kept;
    this.size = size;
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
