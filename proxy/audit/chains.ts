/**
 * Audit chains from any mix of lines: several proxies' records interleaved (a log pipeline's export
 * of stdout), rotated files in any order, lines delivered twice. Each record names its predecessor
 * (`prevHash`), so the chains are rebuilt by following those links; each is then verified on its own
 * (verify.ts). What cannot be placed on a chain — a gap, a fork, a corrupt line — is reported, never
 * silently dropped. Lines that are not audit records at all (other log lines) are only counted.
 */
import { readFileSync } from 'node:fs';
import { GENESIS_HASH, parseRecord, type AuditRecord } from './record.js';
import { namedStreams, type LineOrigin } from './checkpoint-verify.js';
import { verifyAuditText, type VerifyResult } from './verify.js';

export type { LineOrigin };

interface Entry {
  text: string;
  record: AuditRecord;
  origin: LineOrigin;
}

export interface Chain {
  /** The stream its records name (namespace/pod in a cluster), if any. */
  stream?: string;
  lines: string[];
  records: AuditRecord[];
  origins: LineOrigin[];
  /** prevHash of the first record: genesis, or the last hash of records not in the input. */
  anchor: string;
}

export interface ChainSplit {
  chains: Chain[];
  /** Identical lines seen more than once (at-least-once log delivery); kept once. */
  duplicates: number;
  /** Lines that are not audit records (other log output). */
  ignored: number;
  /** Lines that claim to be audit records but cannot be read, forks, records on no chain. */
  problems: string[];
}

const AUDIT_LINE = /^\{"schema":"agentgate\.audit\/v\d+"/;

export function splitChains(inputs: { file: string; text: string }[]): ChainSplit {
  const problems: string[] = [];
  const entries: Entry[] = [];
  const seen = new Map<string, string>(); // hash → text
  let duplicates = 0;
  let ignored = 0;
  for (const { file, text } of inputs) {
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const t = lines[i]!;
      if (!t) continue;
      if (!AUDIT_LINE.test(t)) {
        ignored++;
        continue;
      }
      let record: AuditRecord;
      try {
        record = parseRecord(t);
      } catch {
        problems.push(`${file} line ${i + 1}: an audit record that is not valid JSON (torn or edited)`);
        continue;
      }
      const before = seen.get(record.hash);
      if (before === t) {
        duplicates++;
        continue;
      }
      if (before !== undefined)
        problems.push(`${file} line ${i + 1}: two different records claim hash ${record.hash.slice(0, 16)}…`);
      seen.set(record.hash, t);
      entries.push({ text: t, record, origin: { file, line: i + 1 } });
    }
  }
  const byHash = new Map(entries.map((e) => [e.record.hash, e]));
  const byPrev = new Map<string, Entry[]>();
  for (const e of entries)
    (byPrev.get(e.record.prevHash) ?? byPrev.set(e.record.prevHash, []).get(e.record.prevHash)!).push(e);

  const visited = new Set<Entry>();
  const chains: Chain[] = [];
  for (const head of entries.filter((e) => !byHash.has(e.record.prevHash))) {
    const chain: Chain = { lines: [], records: [], origins: [], anchor: head.record.prevHash };
    for (let cur: Entry | undefined = head; cur && !visited.has(cur);) {
      visited.add(cur);
      chain.lines.push(cur.text);
      chain.records.push(cur.record);
      chain.origins.push(cur.origin);
      const next: Entry[] = byPrev.get(cur.record.hash) ?? [];
      if (next.length > 1)
        problems.push(
          `fork after seq ${cur.record.seq} (${cur.origin.file} line ${cur.origin.line}): ${next.length} records claim it as their predecessor`,
        );
      cur = next[0];
    }
    chain.stream = [...namedStreams(chain.records)][0];
    chains.push(chain);
  }
  const stray = entries.filter((e) => !visited.has(e));
  if (stray.length)
    problems.push(
      `${stray.length} record(s) on no chain (a fork or a cycle), first at ${stray[0]!.origin.file} line ${stray[0]!.origin.line}`,
    );
  chains.sort((a, b) => (a.records[0]!['@timestamp'] < b.records[0]!['@timestamp'] ? -1 : 1));
  return { chains, duplicates, ignored, problems };
}

export function readChains(files: string[]): ChainSplit {
  return splitChains(files.map((file) => ({ file, text: readFileSync(file, 'utf8') })));
}

export interface ChainVerification extends VerifyResult {
  stream?: string;
  firstSeq: number;
  /** The first broken line, as a file and line of the input. */
  broken?: LineOrigin & { reason: string };
}

/**
 * Verifies one rebuilt chain: hashes and seq continuity, and that it starts at genesis — or at
 * `anchor`, the hash an older, separately kept part ended with. A chain that starts after a record
 * missing from the input is reported as such (a gap, or older files not given).
 */
export function verifyChain(chain: Chain, anchor = GENESIS_HASH): ChainVerification {
  const firstSeq = chain.records[0]?.seq ?? 0;
  const base = { ...(chain.stream ? { stream: chain.stream } : {}), firstSeq };
  if (chain.anchor !== GENESIS_HASH && chain.anchor !== anchor) {
    return {
      ...base,
      ok: false,
      records: 0,
      lastHash: chain.anchor,
      broken: {
        ...chain.origins[0]!,
        reason: `the chain${chain.stream ? ` of ${chain.stream}` : ''} starts at seq ${firstSeq}, after a record that is not in the input (records removed, or older files not given: --anchor ${chain.anchor} accepts it)`,
      },
    };
  }
  const { broken, ...r } = verifyAuditText(chain.lines.join('\n'), chain.anchor);
  return {
    ...base,
    ...r,
    ...(broken ? { broken: { ...chain.origins[broken.line - 1]!, reason: broken.reason } } : {}),
  };
}
