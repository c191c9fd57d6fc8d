/** `agentgate audit verify`: the hash chain, then the signed checkpoints against the witness's copy. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type * as jose from 'jose';
import { verifyCheckpoints, type CheckpointVerification } from '../../proxy/audit/checkpoint-verify.js';
import type { WitnessedCheckpoint } from '../../proxy/audit/checkpoints.js';
import { verifyRecordings, type RecordingsVerification } from '../../proxy/audit/recordings.js';
import { readRecords } from '../../proxy/audit/sessions.js';
import { defaultRecordingsDir } from './session.js';
import { verifyAuditFiles, type MultiVerifyResult } from '../../proxy/audit/verify.js';
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
}

export interface AuditVerifyCommand extends WitnessSource {
  files: string[];
  anchor?: string;
  stream?: string;
  /** Session recordings to check against the chain (default: sessions/ beside the last file, if present). */
  recordingsDir?: string;
}

export async function loadWitness(o: WitnessSource): Promise<{ witnessed: WitnessedCheckpoint[]; jwks: jose.JSONWebKeySet } | undefined> {
  if (o.witnessFile) {
    const keys = o.witnessKeys ?? join(dirname(o.witnessFile), WITNESS_JWKS_FILE);
    if (!existsSync(keys)) throw new Error(`no witness keys at ${keys} (pass --witness-keys)`);
    return { witnessed: existsSync(o.witnessFile) ? readWitnessFile(o.witnessFile) : [], jwks: JSON.parse(readFileSync(keys, 'utf8')) as jose.JSONWebKeySet };
  }
  if (!o.cluster) return undefined;
  const { loadKubeConfig } = await import('../../operator/kube.js');
  const { CoreV1Api } = await import('@kubernetes/client-node');
  const { readWitnessedCheckpoints } = await import('../../operator/audit/checkpoint-witness.js');
  const { checkpoints, jwks } = await readWitnessedCheckpoints(loadKubeConfig().makeApiClient(CoreV1Api), o.operatorNamespace, o.namespace);
  return { witnessed: checkpoints, jwks };
}

export interface FullVerification {
  chain: MultiVerifyResult;
  checkpoints?: CheckpointVerification;
  checkpointRecords: number;
  recordings?: RecordingsVerification & { dir: string };
  /** The witness's copy that was compared (for the evidence bundle). */
  witness?: { witnessed: WitnessedCheckpoint[]; jwks: jose.JSONWebKeySet };
}

/** Chain first (cheap, names the broken line), then checkpoints and recordings; all must pass. */
export async function verifyAll(files: string[], o: WitnessSource & { anchor?: string; stream?: string; recordingsDir?: string }): Promise<FullVerification> {
  const chain = verifyAuditFiles(files, o.anchor);
  const records = readRecords(files);
  const checkpointRecords = records.filter((r) => r.event.action === 'audit.checkpoint').length;
  // Recordings are checked when asked for, or when the default directory beside the log holds some
  // (a proxy run without recordings leaves none; the chain stays the authority either way).
  const dir = o.recordingsDir ?? defaultRecordingsDir(files.at(-1)!);
  const present = existsSync(dir) && readdirSync(dir).some((f) => f.endsWith('.jsonl'));
  const recordings = o.recordingsDir || present ? { ...verifyRecordings(dir, records), dir } : undefined;
  const witness = await loadWitness(o);
  const checkpoints = witness ? await verifyCheckpoints(records, { jwks: witness.jwks, witnessed: witness.witnessed, ...(o.stream ? { stream: o.stream } : {}) }) : undefined;
  return { chain, checkpointRecords, ...(checkpoints ? { checkpoints, witness: witness! } : {}), ...(recordings ? { recordings } : {}) };
}

export const verified = (v: FullVerification): boolean => v.chain.ok && (v.checkpoints?.ok ?? true) && (v.recordings?.ok ?? true);

export async function runAuditVerify(o: AuditVerifyCommand): Promise<number> {
  const v = await verifyAll(o.files, o);
  const { chain: r, checkpoints: c, checkpointRecords, recordings: rec } = v;
  const out: string[] = [];
  if (r.ok) out.push(`ok: ${r.records} records in ${o.files.length} file(s), chain intact (last hash ${r.lastHash})`);
  else out.push(`BROKEN in ${r.file} at line ${r.broken!.line}: ${r.broken!.reason}`, `(${r.records} records before it verify)`);
  if (!c) {
    out.push(checkpointRecords ? `${checkpointRecords} signed checkpoint(s) in the log, not checked: pass --witness FILE or --cluster to check them and the tail` : 'no signed checkpoints in the log (the tail cannot be checked)');
  } else if (c.ok) {
    out.push(`ok: stream ${c.stream ?? '?'}: ${c.checkpoints} signed checkpoint(s) verify${c.witnessed ? `; the witness's latest head (seq ${c.witnessed.seq}, signed ${c.witnessed.signedAt}) is in the log` : ''}${c.unwitnessedTail !== undefined ? `; ${c.unwitnessedTail} record(s) after the last signed head` : ''}`);
  } else {
    out.push(`CHECKPOINTS FAIL for stream ${c.stream ?? '?'}:`, ...c.problems.map((p) => `  - ${p}`));
  }
  if (rec?.ok) out.push(`ok: ${rec.sessions} session recording(s) in ${rec.dir}, ${rec.lines} lines, every one in the chain and none missing`);
  else if (rec) out.push(`RECORDINGS FAIL in ${rec.dir}:`, ...rec.problems.slice(0, 20).map((p) => `  - ${p}`), ...(rec.problems.length > 20 ? [`  … ${rec.problems.length - 20} more`] : []));
  process.stdout.write(`${out.join('\n')}\n`);
  return verified(v) ? 0 : 1;
}
