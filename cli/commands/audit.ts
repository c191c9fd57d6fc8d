/** `agentgate audit verify`: the hash chain, then the signed checkpoints against the witness's copy. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type * as jose from 'jose';
import { verifyCheckpoints } from '../../proxy/audit/checkpoint-verify.js';
import type { WitnessedCheckpoint } from '../../shared/contract/checkpoint.js';
import {
  auditLogName,
  findRecordingsDir,
  verifyRecordings,
  type RecordingsVerification,
} from '../../proxy/audit/recordings.js';
import { readChains, verifyChain, type ChainSplit } from '../../proxy/audit/chains.js';
import type { ChainFinding } from '../../proxy/audit/evidence.js';
import type { AuditRecord } from '../../proxy/audit/record.js';
import { readWitnessFile, WITNESS_JWKS_FILE } from '../../proxy/audit/witnesses.js';

export interface WitnessSource {
  /** A local witness file (its keys: --witness-keys, default checkpoint-jwks.json beside it). */
  witnessFile?: string;
  witnessKeys?: string;
  /** The operator's checkpoints and audit keys, from the cluster of the current kubeconfig. */
  cluster: boolean;
  operatorNamespace: string;
  /** Agent namespace to read the checkpoints of (default: all). */
  namespace?: string;
  /**
   * A cluster that holds no audit checkpoints and no audit keys (its operator runs without the audit
   * witness) is no witness (the evidence export's --cluster), rather than one that signed nothing.
   */
  clusterWitnessOptional?: boolean;
}

export interface AuditVerifyCommand extends WitnessSource {
  files: string[];
  anchor?: string;
  stream?: string;
  /** Session recordings to check against the chain (default: sessions/ beside the log, if present). */
  recordingsDir?: string;
}

/** The recordings of one audit log (its live file and the rotated ones), checked against its records. */
export interface RecordingsCheck extends RecordingsVerification {
  /** The live audit file name(s) whose recordings these are. */
  logs: string[];
  dir: string;
}

export async function loadWitness(
  o: WitnessSource,
): Promise<{ witnessed: WitnessedCheckpoint[]; jwks: jose.JSONWebKeySet } | undefined> {
  if (o.witnessFile) {
    const keys = o.witnessKeys ?? join(dirname(o.witnessFile), WITNESS_JWKS_FILE);
    if (!existsSync(keys)) throw new Error(`no witness keys at ${keys} (pass --witness-keys)`);
    return {
      witnessed: existsSync(o.witnessFile) ? readWitnessFile(o.witnessFile) : [],
      jwks: JSON.parse(readFileSync(keys, 'utf8')) as jose.JSONWebKeySet,
    };
  }
  if (!o.cluster) return undefined;
  const { loadKubeConfig } = await import('../../shared/kube/client.js');
  const { CoreV1Api } = await import('@kubernetes/client-node');
  const { readWitnessedCheckpoints } = await import('../../operator/audit/checkpoint-witness.js');
  const { checkpoints, jwks } = await readWitnessedCheckpoints(
    loadKubeConfig().makeApiClient(CoreV1Api),
    o.operatorNamespace,
    o.namespace,
  );
  if (o.clusterWitnessOptional && !checkpoints.length && !jwks.keys.length) return undefined;
  return { witnessed: checkpoints, jwks };
}

export interface FullVerification {
  chains: ChainFinding[];
  /** Duplicated lines, non-audit lines, and what could not be placed on a chain. */
  split: Pick<ChainSplit, 'duplicates' | 'ignored' | 'problems'> & { otherStreams: number };
  records: AuditRecord[];
  /** Per audit log (or shared directory of the layout before), the recordings checked. */
  recordings: RecordingsCheck[];
  /** The witness's copy that was compared (for the evidence bundle). */
  witness?: { witnessed: WitnessedCheckpoint[]; jwks: jose.JSONWebKeySet };
  /** Streams the witness holds checkpoints for that are not in the input (logs not given). */
  unseenStreams: string[];
}

/**
 * Rebuilds the chains in the input (one proxy's rotated files, or many proxies' records mixed), then
 * verifies each: hashes and links, signed checkpoints against the witness; then the recordings. The
 * witness's copy is read before the logs: a proxy still running cannot have a witnessed head that its
 * log (read later) lacks.
 */
export async function verifyAll(
  files: string[],
  o: WitnessSource & { anchor?: string; stream?: string; recordingsDir?: string },
): Promise<FullVerification> {
  const witness = await loadWitness(o);
  const split = readChains(files);
  const records = split.chains.flatMap((c) => c.records);
  const chains: ChainFinding[] = [];
  let skipped = 0;
  for (const chain of split.chains) {
    if (o.stream && chain.stream !== o.stream) {
      skipped++;
      continue;
    }
    const checkpointRecords = chain.records.filter((r) => r.event.action === 'audit.checkpoint').length;
    const checkpoints = witness
      ? await verifyCheckpoints(chain.records, {
          jwks: witness.jwks,
          witnessed: witness.witnessed,
          origins: chain.origins,
          ...(o.stream ? { stream: o.stream } : {}),
        })
      : undefined;
    chains.push({ ...verifyChain(chain, o.anchor), checkpointRecords, ...(checkpoints ? { checkpoints } : {}) });
  }
  const problems = [
    ...split.problems,
    ...(o.stream && !chains.length ? [`no chain of stream ${o.stream} in the input`] : []),
  ];
  const inInput = new Set(chains.map((c) => c.stream));
  const unseenStreams = [...new Set((witness?.witnessed ?? []).map((w) => w.stream))].filter(
    (s) => !inInput.has(s) && (!o.stream || s === o.stream),
  );
  return {
    chains,
    split: { duplicates: split.duplicates, ignored: split.ignored, problems, otherStreams: skipped },
    records,
    unseenStreams,
    recordings: checkRecordings(files, split, o.recordingsDir),
    ...(witness ? { witness } : {}),
  };
}

/**
 * Each audit log's recordings (its own directory under sessions/ beside it, or under `root`) against
 * that log's records. Checked when asked for (`root`), or when the directory holds recordings: a proxy
 * run without recordings leaves none, and the chain stays the authority either way.
 */
function checkRecordings(files: string[], split: ChainSplit, root?: string): RecordingsCheck[] {
  const byDir = new Map<string, { logs: Set<string>; files: Set<string> }>();
  for (const f of files) {
    const dir = findRecordingsDir(root ?? join(dirname(f), 'sessions'), f);
    const entry = byDir.get(dir) ?? byDir.set(dir, { logs: new Set(), files: new Set() }).get(dir)!;
    entry.logs.add(auditLogName(f));
    entry.files.add(f);
  }
  const checks: RecordingsCheck[] = [];
  for (const [dir, group] of byDir) {
    const present = existsSync(dir) && readdirSync(dir).some((f) => f.endsWith('.jsonl'));
    if (!root && !present) continue;
    const records = split.chains.flatMap((c) => c.records.filter((_, i) => group.files.has(c.origins[i]!.file)));
    checks.push({ ...verifyRecordings(dir, records), logs: [...group.logs], dir });
  }
  return checks;
}

export const verified = (v: FullVerification): boolean =>
  v.split.problems.length === 0 &&
  v.chains.every((c) => c.ok && (c.checkpoints?.ok ?? true)) &&
  v.recordings.every((r) => r.ok);

export async function runAuditVerify(o: AuditVerifyCommand): Promise<number> {
  const v = await verifyAll(o.files, o);
  const out: string[] = [];
  const many = v.chains.length > 1;
  if (!v.chains.length) out.push(`ok: no audit records in ${o.files.length} file(s)`);
  if (many) out.push(`${v.chains.length} chains in ${o.files.length} file(s)`);
  for (const r of v.chains) {
    const who = many ? `stream ${r.stream ?? '(unnamed)'}: ` : '';
    if (r.ok)
      out.push(
        `ok: ${who}${r.records} records${many ? ` (from seq ${r.firstSeq})` : ` in ${o.files.length} file(s)`}, chain intact (last hash ${r.lastHash})`,
      );
    else
      out.push(
        `BROKEN: ${who}in ${r.broken!.file} at line ${r.broken!.line}: ${r.broken!.reason}`,
        `(${r.records} records before it verify)`,
      );
    const c = r.checkpoints;
    if (!c) {
      out.push(
        r.checkpointRecords
          ? `${r.checkpointRecords} signed checkpoint(s) in the log, not checked: pass --witness FILE or --cluster to check them and the tail`
          : 'no signed checkpoints in the log (the tail cannot be checked)',
      );
    } else if (c.ok) {
      out.push(
        `ok: stream ${c.stream ?? '?'}: ${c.checkpoints} signed checkpoint(s) verify${c.witnessed ? `; the witness's latest head (seq ${c.witnessed.seq}, signed ${c.witnessed.signedAt}) is in the log` : ''}${c.unwitnessedTail !== undefined ? `; ${c.unwitnessedTail} record(s) after the last signed head` : ''}`,
      );
    } else {
      out.push(`CHECKPOINTS FAIL for stream ${c.stream ?? '?'}:`, ...c.problems.map((p) => `  - ${p}`));
    }
  }
  if (v.split.problems.length) out.push('LINES THAT FIT NO CHAIN:', ...v.split.problems.map((p) => `  - ${p}`));
  if (v.split.duplicates) out.push(`note: ${v.split.duplicates} duplicated line(s) counted once`);
  if (v.unseenStreams.length)
    out.push(
      `note: the witness also holds checkpoints of ${v.unseenStreams.length} stream(s) not in the input: ${v.unseenStreams.slice(0, 10).join(', ')}${v.unseenStreams.length > 10 ? ', …' : ''}`,
    );
  if (v.split.otherStreams)
    out.push(`note: ${v.split.otherStreams} chain(s) of other streams than ${o.stream} not verified`);
  for (const rec of v.recordings) {
    const others = rec.foreign ? `; ${rec.foreign} recording(s) of sessions not in this log ignored` : '';
    const repaired = rec.repaired.map(
      (r) =>
        `note: ${r.sessions} session recording(s) were completed from the chain after a crash (${r.lines} line(s), record seq ${r.seq})`,
    );
    const incomplete = rec.incomplete.length
      ? [
          `note: ${rec.incomplete.length} recording(s) incomplete after a crash, nothing altered (the chain holds the missing records; the next start completes them):`,
          ...rec.incomplete.slice(0, 20).map((p) => `  - ${p}`),
        ]
      : [];
    if (rec.ok)
      out.push(
        `ok: ${rec.sessions} session recording(s) in ${rec.dir}, ${rec.lines} lines, every one in the chain${rec.incomplete.length ? '' : ' and none missing'}${others}`,
        ...repaired,
        ...incomplete,
      );
    else
      out.push(
        `RECORDINGS FAIL in ${rec.dir} (of ${rec.logs.join(', ')}):`,
        ...rec.problems.slice(0, 20).map((p) => `  - ${p}`),
        ...(rec.problems.length > 20 ? [`  … ${rec.problems.length - 20} more`] : []),
      );
  }
  process.stdout.write(`${out.join('\n')}\n`);
  return verified(v) ? 0 : 1;
}
