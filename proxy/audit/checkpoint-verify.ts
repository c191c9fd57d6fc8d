/**
 * Checks an audit chain against its signed checkpoints. Run after the hash-chain check (verify.ts): the
 * chain shows edits and gaps inside the log; the checkpoints show that this chain is the one the
 * witness signed, and that it was not cut off or extended.
 *
 * With the witness's copy (the operator's ConfigMaps or a local witness file), a chain verifies only if:
 * - it names its stream (proxy.start or a checkpoint record) and the witness holds a valid signature
 *   for that stream: a chain the witness never signed (fabricated, an unknown stream, no stream) fails;
 * - every head the witness signed for the stream within the chain's seq range is the chain's record at
 *   that seq (same hash), and is followed by the checkpoint record the proxy wrote for it;
 * - the log reaches the witness's latest head (otherwise the tail was cut off);
 * - what follows the latest witnessed head (the unwitnessed tail, which descends from it by hash links
 *   since it is on the same chain) spans at most one checkpoint interval plus TAIL_GRACE_MS: the proxy
 *   checkpoints every interval and at shutdown, so a longer tail was never offered to the witness. A
 *   shorter one is reported, not failed: whoever can write the log could have written it.
 * Every in-log checkpoint record must carry a valid signature of the witness's keys over a record of
 * this chain. And once the proxy has stopped (proxy.stop, then the checkpoint of a head at or past it),
 * the next record must be a proxy.start: a proxy writes nothing after its shutdown checkpoint.
 */
import * as jose from 'jose';
import { CHECKPOINT_AUDIENCE, CHECKPOINT_TYPE, type WitnessedCheckpoint } from '../../shared/contract/checkpoint.js';
import type { AuditRecord } from './record.js';

/** Where a line came from, for messages an auditor can follow. */
export interface LineOrigin {
  file: string;
  line: number;
}

export interface CheckpointVerification {
  ok: boolean;
  /** The chain's stream (namespace/pod in a cluster), as its records name it. */
  stream?: string;
  /** Checkpoint records in the log whose signature and head verified. */
  checkpoints: number;
  /** The latest head the witness holds for this stream. */
  witnessed?: { seq: number; hash: string; signedAt: string };
  /** Records after the latest signed checkpoint (not yet covered by a signature). */
  unwitnessedTail?: number;
  problems: string[];
}

export interface CheckpointVerifyOptions {
  /** Public keys of the witness (the operator's audit keys, or the local witness's JWKS). */
  jwks: jose.JSONWebKeySet;
  /** The witness's copy; without it only the in-log checkpoints are checked. */
  witnessed?: WitnessedCheckpoint[];
  /** The stream this log must be (otherwise taken from its records). */
  stream?: string;
  /** Where each record came from (same order as the records), to name lines in messages. */
  origins?: LineOrigin[];
}

/** The default checkpoint interval, for chains whose witnessed checkpoint records do not state theirs. */
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 60_000;
/** How far past one interval the unwitnessed tail may reach: the witness's answer time and clock skew. */
export const TAIL_GRACE_MS = 30_000;

interface CheckpointDetail {
  checkpoint?: { stream: string; seq: number; hash: string; jws: string; everyMs?: number };
  stream?: string;
}

interface SignedHead {
  stream: string;
  seq: number;
  hash: string;
  signedAt: string;
}

/** The streams a chain's records name (proxy.start and checkpoint records), in order of appearance. */
export function namedStreams(records: AuditRecord[]): Set<string> {
  return new Set(
    records.flatMap((r) => {
      const d = r.detail as CheckpointDetail | undefined;
      return [d?.checkpoint?.stream, r.event.action === 'proxy.start' ? d?.stream : undefined].filter(
        (s): s is string => typeof s === 'string',
      );
    }),
  );
}

export async function verifyCheckpoints(
  records: AuditRecord[],
  o: CheckpointVerifyOptions,
): Promise<CheckpointVerification> {
  const problems: string[] = [];
  const keys = jose.createLocalJWKSet(o.jwks);
  const index = new Map(records.map((r, i) => [r.seq, i]));
  const bySeq = new Map(records.map((r) => [r.seq, r]));
  const firstSeq = records[0]?.seq ?? 0;
  const lastSeq = records.at(-1)?.seq ?? 0;
  const at = (seq: number): string => {
    const origin = o.origins?.[index.get(seq) ?? -1];
    return origin ? `seq ${seq} (${origin.file} line ${origin.line})` : `seq ${seq}`;
  };
  const named = namedStreams(records);
  if (named.size > 1)
    problems.push(`records name several streams (${[...named].join(', ')}): one chain per verification`);
  const stream = o.stream ?? [...named][0];
  if (o.stream && named.size && !named.has(o.stream))
    problems.push(`this log is stream ${[...named].join(', ')}, not ${o.stream}`);

  const signedHead = async (
    jws: string,
    what: string,
  ): Promise<{ stream: string; seq: number; hash: string } | undefined> => {
    try {
      const { payload } = await jose.jwtVerify(jws, keys, {
        typ: CHECKPOINT_TYPE,
        audience: CHECKPOINT_AUDIENCE,
        algorithms: ['ES256'],
      });
      return payload as unknown as { stream: string; seq: number; hash: string };
    } catch (e) {
      problems.push(`${what}: signature does not verify (${(e as Error).message})`);
      return undefined;
    }
  };
  const matchesChain = (head: { seq: number; hash: string }, what: string): boolean => {
    const rec = bySeq.get(head.seq);
    if (!rec) return false;
    if (rec.hash !== head.hash)
      problems.push(
        `${what}: the log's record ${at(head.seq)} is not the one that was signed (hash ${rec.hash.slice(0, 12)}… ≠ ${head.hash.slice(0, 12)}…)`,
      );
    return rec.hash === head.hash;
  };

  let checkpoints = 0;
  let lastSigned = 0;
  /** Heads signed by checkpoint records in the log, and the interval each record states. */
  const inLog = new Set<number>();
  const intervals = new Map<number, number>();
  for (const r of records) {
    if (r.event.action !== 'audit.checkpoint') continue;
    const cp = (r.detail as CheckpointDetail | undefined)?.checkpoint;
    const what = `checkpoint record ${at(r.seq)}`;
    if (!cp) {
      problems.push(`${what}: no checkpoint detail`);
      continue;
    }
    const head = await signedHead(cp.jws, what);
    if (!head) continue;
    if (head.seq !== cp.seq || head.hash !== cp.hash || head.stream !== cp.stream) {
      problems.push(`${what}: the signed head differs from the record's`);
      continue;
    }
    if (stream && head.stream !== stream) problems.push(`${what}: signed for stream ${head.stream}, not ${stream}`);
    if (head.seq >= r.seq) problems.push(`${what}: signs seq ${head.seq}, which is not before it`);
    else if (matchesChain(head, what)) {
      checkpoints++;
      inLog.add(head.seq);
      if (Number.isSafeInteger(cp.everyMs) && cp.everyMs! > 0) intervals.set(r.seq, cp.everyMs!);
      lastSigned = Math.max(lastSigned, head.seq);
    } else if (!bySeq.has(head.seq) && head.seq >= firstSeq)
      problems.push(`${what}: seq ${head.seq} is missing from the log`);
  }

  problems.push(...afterShutdownProblems(records, at));

  let witnessed: CheckpointVerification['witnessed'];
  if (o.witnessed) {
    lastSigned = 0; // with the witness's copy, only what it holds covers the tail
    if (!stream) {
      problems.push(
        `the chain starting at ${at(firstSeq)} names no stream (no proxy.start stream, no checkpoint record): the witness never signed it (fabricated, or written by a proxy without a witness; a part of a rotated log without its proxy.start: pass the older files or --stream)`,
      );
    } else {
      // Only what the witness signed counts: the seq/hash fields beside each signature are a convenience.
      const heads = new Map<number, SignedHead>();
      for (const w of o.witnessed.filter((x) => x.stream === stream)) {
        const head = await signedHead(w.jws, `witnessed checkpoint seq ${w.seq} of stream ${stream}`);
        if (!head) continue;
        if (head.stream !== w.stream || head.seq !== w.seq || head.hash !== w.hash)
          problems.push(`witnessed checkpoint seq ${w.seq}: its fields differ from what was signed (seq ${head.seq})`);
        if (head.stream === stream)
          heads.set(head.seq, { stream, seq: head.seq, hash: head.hash, signedAt: w.signedAt });
      }
      const signed = [...heads.values()].sort((a, b) => a.seq - b.seq);
      const latest = signed.at(-1);
      if (!latest) {
        problems.push(
          `stream ${stream} (chain starting at ${at(firstSeq)}): the witness holds no checkpoint of this stream, so it never signed this chain (fabricated, an unknown stream, or its proxy never reached the witness)`,
        );
      } else {
        witnessed = { seq: latest.seq, hash: latest.hash, signedAt: latest.signedAt };
        if (latest.seq > lastSeq) {
          problems.push(
            `truncated: the witness signed seq ${latest.seq} of stream ${stream} at ${latest.signedAt}, but the log ends at ${at(lastSeq)} (${latest.seq - lastSeq} or more records are missing from the end)`,
          );
        } else if (latest.seq < firstSeq) {
          problems.push(
            `witnessed checkpoint seq ${latest.seq} of stream ${stream} is before this log's first record (${at(firstSeq)}): pass the older rotated files too`,
          );
        }
        for (const h of signed) {
          if (h.seq < firstSeq || h.seq > lastSeq) continue;
          if (!matchesChain(h, `stream ${stream}: witnessed checkpoint seq ${h.seq} (signed ${h.signedAt})`)) continue;
          lastSigned = Math.max(lastSigned, h.seq);
          if (inLog.has(h.seq)) continue;
          problems.push(
            h.seq === lastSeq
              ? `stream ${stream}: the log ends at the witnessed head ${at(h.seq)} without the checkpoint record written for it (its last line(s) removed)`
              : `stream ${stream}: the checkpoint record of witnessed head ${at(h.seq)} is missing from the log (removed, or the proxy stopped between the witness's signature and writing it)`,
          );
        }
        const head = bySeq.get(lastSigned);
        if (head) problems.push(...tailProblems(records, head, intervals, stream, at));
      }
    }
  }
  return {
    ok: problems.length === 0,
    ...(stream ? { stream } : {}),
    checkpoints,
    ...(witnessed ? { witnessed } : {}),
    ...(lastSigned ? { unwitnessedTail: lastSeq - lastSigned } : {}),
    problems,
  };
}

/**
 * The records after the latest witnessed head are attested by no signature. The proxy offers its head
 * every interval (stated in its checkpoint records; only records the witness covered count) whenever
 * the chain grew, and at shutdown: so the tail — apart from the checkpoint record of that head — cannot
 * run longer than one interval (plus the witness's answer time) from its first record, even if the
 * proxy then died. A longer tail was never offered to the witness: it was unreachable, or the records
 * were added later.
 */
function tailProblems(
  records: AuditRecord[],
  head: AuditRecord,
  intervals: Map<number, number>,
  stream: string,
  at: (seq: number) => string,
): string[] {
  const covered = [...intervals].filter(([seq]) => seq <= head.seq).map(([, ms]) => ms);
  const intervalMs = covered.length ? Math.max(...covered) : DEFAULT_CHECKPOINT_INTERVAL_MS;
  const tail = records.filter((r) => r.seq > head.seq);
  const grown = tail.filter(
    (r) =>
      !(
        r.event.action === 'audit.checkpoint' &&
        (r.detail as CheckpointDetail | undefined)?.checkpoint?.seq === head.seq
      ),
  );
  const first = grown[0];
  if (!first) return [];
  const limit = Date.parse(first['@timestamp']) + intervalMs + TAIL_GRACE_MS;
  const late = grown.find((r) => !(Date.parse(r['@timestamp']) <= limit));
  if (!late) return [];
  const failed = tail.filter((r) => r.event.action === 'audit.checkpoint-failed').length;
  return [
    `stream ${stream}: unwitnessed tail: ${tail.length} record(s) follow the witness's latest head ${at(head.seq)}; they run from ${at(first.seq)} at ${first['@timestamp']} to ${at(late.seq)} at ${late['@timestamp']}, longer than one checkpoint interval (${intervalMs / 1000} s) + ${TAIL_GRACE_MS / 1000} s, so the proxy would have offered them to the witness: no signature covers them (${failed ? `${failed} audit.checkpoint-failed record(s) among them: the witness was unreachable` : 'records added after the last checkpoint, or the witness was unreachable'})`,
  ];
}

/**
 * A proxy's last records are proxy.stop and then the checkpoint of its final head (audit.checkpoint, or
 * audit.checkpoint-failed when the witness did not answer); the log is closed after it. Records the
 * sessions were still writing may fall between the two, and a checkpoint of an earlier head that was
 * in flight may land after proxy.stop. After the final checkpoint, the next record of the chain can only
 * be the proxy.start of a restart that continues it: anything else was written by something other
 * than the proxy. (A later checkpoint record is left to the signature checks.)
 */
function afterShutdownProblems(records: AuditRecord[], at: (seq: number) => string): string[] {
  const problems: string[] = [];
  let stop: AuditRecord | undefined;
  let closedBy: AuditRecord | undefined;
  for (const r of records) {
    const action = r.event.action;
    if (action === 'proxy.start') {
      stop = closedBy = undefined;
      continue;
    }
    if (closedBy && action !== 'audit.checkpoint') {
      problems.push(
        `${at(r.seq)} (${action}) follows the proxy's shutdown (proxy.stop ${at(stop!.seq)}, final checkpoint ${at(closedBy.seq)}) without a proxy.start: a stopped proxy writes nothing, so it was written by something else`,
      );
      stop = closedBy = undefined;
      continue;
    }
    if (action === 'proxy.stop') {
      stop = r;
      continue;
    }
    if (stop && !closedBy && (action === 'audit.checkpoint' || action === 'audit.checkpoint-failed')) {
      const d = r.detail as (CheckpointDetail & { seq?: number }) | undefined;
      const headSeq = action === 'audit.checkpoint' ? d?.checkpoint?.seq : d?.seq;
      if (typeof headSeq === 'number' && headSeq >= stop.seq) closedBy = r;
    }
  }
  return problems;
}
