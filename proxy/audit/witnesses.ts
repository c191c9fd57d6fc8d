/**
 * The two checkpoint witnesses. In a cluster: the operator (HTTPS, the pod's service-account token,
 * the operator's audit key). In local mode: a key and an append-only witness file of the proxy's own,
 * which is only as good as keeping that file somewhere else than the audit log (another volume, a
 * WORM bucket); the format is the same so `audit verify --witness` reads both.
 */
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ensureLocalSigningKey, type LocalSigningKey } from '../identity/local-key.js';
import { signCheckpoint, type ChainHead, type WitnessedCheckpoint } from '../../shared/contract/checkpoint.js';
import { type CheckpointWitness } from './checkpoints.js';

export interface OperatorWitnessOptions {
  /** The operator's HTTPS base URL. */
  url: string;
  /** The pod's projected service-account token (audience agentgate), re-read on every call (kubelet rotates it). */
  tokenFile: string;
  /** PEM of the CA that signs the operator's serving certificate. */
  ca?: string | Buffer;
  timeoutMs?: number;
}

export class OperatorWitness implements CheckpointWitness {
  constructor(private readonly o: OperatorWitnessOptions) {}

  get name(): string {
    return this.o.url;
  }

  async witness(head: ChainHead): Promise<WitnessedCheckpoint> {
    const token = readFileSync(this.o.tokenFile, 'utf8').trim();
    const body = JSON.stringify({ seq: head.seq, hash: head.hash, time: head.time });
    // Loaded on first use: a local proxy never needs Node's https (docs/performance.md, round 7).
    const https = await import('node:https');
    return new Promise((resolve, reject) => {
      const req = https.request(
        new URL('/audit/checkpoints', this.o.url),
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          timeout: this.o.timeoutMs ?? 10_000,
          ...(this.o.ca ? { ca: this.o.ca } : {}),
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () => {
            try {
              const json = JSON.parse(text) as WitnessedCheckpoint & { detail?: string };
              if (res.statusCode !== 200)
                return reject(new Error(`operator refused the checkpoint (${res.statusCode}): ${json.detail ?? text}`));
              if (json.seq !== head.seq || json.hash !== head.hash)
                return reject(new Error('operator signed a different head than offered'));
              resolve(json);
            } catch {
              reject(new Error(`operator answered ${res.statusCode} with non-JSON: ${text.slice(0, 200)}`));
            }
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('operator did not answer in time')));
      req.on('error', reject);
      req.end(body);
    });
  }
}

export const WITNESS_KEY_FILE = 'checkpoint-key.jwk.json';
export const WITNESS_JWKS_FILE = 'checkpoint-jwks.json';

/** A local witness: an ES256 key in `keyDir` (created on first use) and an append-only JSON-lines file. */
export class FileWitness implements CheckpointWitness {
  private key?: LocalSigningKey;

  constructor(private readonly o: { file: string; keyDir: string; now?: () => Date }) {}

  get name(): string {
    return `file:${this.o.file}`;
  }

  async witness(head: ChainHead): Promise<WitnessedCheckpoint> {
    const { kid, privateKey } = (this.key ??= await ensureLocalSigningKey(this.o.keyDir, {
      key: WITNESS_KEY_FILE,
      jwks: WITNESS_JWKS_FILE,
    }));
    const entry = await signCheckpoint(
      head,
      { kid, key: privateKey },
      this.name,
      (this.o.now?.() ?? new Date()).getTime(),
    );
    mkdirSync(dirname(this.o.file), { recursive: true });
    appendFileSync(this.o.file, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
    return entry;
  }
}

/** Reads a witness file: every checkpoint it signed, oldest first. */
export function readWitnessFile(file: string): WitnessedCheckpoint[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as WitnessedCheckpoint);
}
