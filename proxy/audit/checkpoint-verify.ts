/**
 * Checks an audit chain against its signed checkpoints: every `audit.checkpoint` record's signature
 * and the head it names, and — given the witness's own copy (the operator's ConfigMap or a local
 * witness file) — that the log still reaches the latest witnessed head. Run after the hash-chain check
 * (verify.ts): the chain shows edits and gaps inside the log, this shows a cut-off tail.
 */
import * as jose from 'jose';
import { CHECKPOINT_AUDIENCE, CHECKPOINT_TYPE, type WitnessedCheckpoint } from './checkpoints.js';
import type { AuditRecord } from './record.js';

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
}

interface CheckpointDetail {
  checkpoint?: { stream: string; seq: number; hash: string; jws: string };
  stream?: string;
}

/** The streams a chain's records name (proxy.start and checkpoint records), in order of appearance. */
export function namedStreams(records: AuditRecord[]): Set<string> {
  return new Set(records.flatMap((r) => {
    const d = r.detail as CheckpointDetail | undefined;
    return [d?.checkpoint?.stream, r.event.action === 'proxy.start' ? d?.stream : undefined].filter((s): s is string => typeof s === 'string');
  }));
}

export async function verifyCheckpoints(records: AuditRecord[], o: CheckpointVerifyOptions): Promise<CheckpointVerification> {
  const problems: string[] = [];
  const keys = jose.createLocalJWKSet(o.jwks);
  const bySeq = new Map(records.map((r) => [r.seq, r]));
  const lastSeq = records.at(-1)?.seq ?? 0;
  const named = namedStreams(records);
  if (named.size > 1) problems.push(`records name several streams (${[...named].join(', ')}): one chain per verification`);
  const stream = o.stream ?? [...named][0];
  if (o.stream && named.size && !named.has(o.stream)) problems.push(`this log is stream ${[...named].join(', ')}, not ${o.stream}`);

  const signedHead = async (jws: string, what: string): Promise<{ stream: string; seq: number; hash: string } | undefined> => {
    try {
      const { payload } = await jose.jwtVerify(jws, keys, { typ: CHECKPOINT_TYPE, audience: CHECKPOINT_AUDIENCE, algorithms: ['ES256'] });
      return payload as unknown as { stream: string; seq: number; hash: string };
    } catch (e) {
      problems.push(`${what}: signature does not verify (${(e as Error).message})`);
      return undefined;
    }
  };
  const matchesChain = (head: { seq: number; hash: string }, what: string): boolean => {
    const rec = bySeq.get(head.seq);
    if (!rec) return false;
    if (rec.hash !== head.hash) problems.push(`${what}: the log's record seq ${head.seq} is not the one that was signed (hash ${rec.hash.slice(0, 12)}… ≠ ${head.hash.slice(0, 12)}…)`);
    return rec.hash === head.hash;
  };

  let checkpoints = 0;
  let lastSigned = 0;
  for (const r of records) {
    if (r.event.action !== 'audit.checkpoint') continue;
    const cp = (r.detail as CheckpointDetail | undefined)?.checkpoint;
    const what = `checkpoint record seq ${r.seq}`;
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
      lastSigned = Math.max(lastSigned, head.seq);
    } else if (!bySeq.has(head.seq) && records[0] && head.seq >= records[0].seq) problems.push(`${what}: seq ${head.seq} is missing from the log`);
  }

  let witnessed: CheckpointVerification['witnessed'];
  if (o.witnessed) {
    // Only what the witness signed counts: the seq/hash fields beside each signature are a convenience.
    let latest: { seq: number; hash: string; signedAt: string } | undefined;
    for (const w of o.witnessed.filter((x) => x.stream === stream)) {
      const head = await signedHead(w.jws, `witnessed checkpoint seq ${w.seq}`);
      if (!head) continue;
      if (head.stream !== w.stream || head.seq !== w.seq || head.hash !== w.hash) problems.push(`witnessed checkpoint seq ${w.seq}: its fields differ from what was signed (seq ${head.seq})`);
      if (head.stream === stream && (!latest || head.seq > latest.seq)) latest = { seq: head.seq, hash: head.hash, signedAt: w.signedAt };
    }
    if (!stream) {
      // A chain that was never checkpointed has nothing to compare; one that was always names its stream.
      if (records.some((r) => r.event.action === 'audit.checkpoint')) problems.push('the log names no stream: cannot compare with the witness');
    }
    else if (!latest) {
      if (checkpoints) problems.push(`the witness has no checkpoint for stream ${stream}, though the log holds ${checkpoints}`);
    } else {
      witnessed = latest;
      if (latest.seq > lastSeq) {
        problems.push(`truncated: the witness signed seq ${latest.seq} of stream ${stream} at ${latest.signedAt}, but the log ends at seq ${lastSeq} (${latest.seq - lastSeq} or more records are missing from the end)`);
      } else if (matchesChain(latest, `witnessed checkpoint seq ${latest.seq}`)) {
        lastSigned = Math.max(lastSigned, latest.seq);
      } else if (!bySeq.has(latest.seq)) {
        problems.push(`witnessed checkpoint seq ${latest.seq} is before this log's first record (seq ${records[0]?.seq}): pass the older rotated files too`);
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
