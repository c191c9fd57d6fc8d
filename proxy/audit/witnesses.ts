/**
 * The two checkpoint witnesses. In a cluster: the operator (HTTPS, the pod's service-account token,
 * the operator's audit key). In local mode: a key and an append-only witness file of the proxy's own,
 * which is only as good as keeping that file somewhere else than the audit log (another volume, a
 * WORM bucket); the format is the same so `audit verify --witness` reads both.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { dirname, join } from 'node:path';
import * as jose from 'jose';
import { CHECKPOINT_AUDIENCE, CHECKPOINT_TYPE, type ChainHead, type CheckpointWitness, type WitnessedCheckpoint } from './checkpoints.js';

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

  witness(head: ChainHead): Promise<WitnessedCheckpoint> {
    const token = readFileSync(this.o.tokenFile, 'utf8').trim();
    const body = JSON.stringify({ seq: head.seq, hash: head.hash, time: head.time });
    return new Promise((resolve, reject) => {
      const req = https.request(new URL('/audit/checkpoints', this.o.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        timeout: this.o.timeoutMs ?? 10_000,
        ...(this.o.ca ? { ca: this.o.ca } : {}),
      }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => {
          try {
            const json = JSON.parse(text) as WitnessedCheckpoint & { detail?: string };
            if (res.statusCode !== 200) return reject(new Error(`operator refused the checkpoint (${res.statusCode}): ${json.detail ?? text}`));
            if (json.seq !== head.seq || json.hash !== head.hash) return reject(new Error('operator signed a different head than offered'));
            resolve(json);
          } catch {
            reject(new Error(`operator answered ${res.statusCode} with non-JSON: ${text.slice(0, 200)}`));
          }
        });
      });
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
  private key?: { kid: string; key: Awaited<ReturnType<typeof jose.importJWK>> };

  constructor(private readonly o: { file: string; keyDir: string; now?: () => Date }) {}

  get name(): string {
    return `file:${this.o.file}`;
  }

  async witness(head: ChainHead): Promise<WitnessedCheckpoint> {
    const { kid, key } = (this.key ??= await ensureWitnessKey(this.o.keyDir));
    const signedAt = Math.floor((this.o.now?.() ?? new Date()).getTime() / 1000);
    const jws = await new jose.SignJWT({ stream: head.stream, seq: head.seq, hash: head.hash, time: head.time })
      .setProtectedHeader({ alg: 'ES256', kid, typ: CHECKPOINT_TYPE })
      .setIssuer(this.name)
      .setAudience(CHECKPOINT_AUDIENCE)
      .setIssuedAt(signedAt)
      .sign(key);
    const entry: WitnessedCheckpoint = { ...head, signedAt: new Date(signedAt * 1000).toISOString(), jws };
    mkdirSync(dirname(this.o.file), { recursive: true });
    appendFileSync(this.o.file, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
    return entry;
  }
}

async function ensureWitnessKey(dir: string): Promise<{ kid: string; key: Awaited<ReturnType<typeof jose.importJWK>> }> {
  mkdirSync(dir, { recursive: true });
  const keyFile = join(dir, WITNESS_KEY_FILE);
  if (!existsSync(keyFile)) {
    const { privateKey } = await jose.generateKeyPair('ES256', { extractable: true });
    const jwk = await jose.exportJWK(privateKey);
    const { d: _d, ...pub } = jwk;
    const kid = await jose.calculateJwkThumbprint(pub);
    writeFileSync(keyFile, JSON.stringify({ ...jwk, kid, alg: 'ES256' }), { mode: 0o600 });
    writeFileSync(join(dir, WITNESS_JWKS_FILE), JSON.stringify({ keys: [{ ...pub, kid, alg: 'ES256', use: 'sig' }] }, null, 2));
  }
  const jwk = JSON.parse(readFileSync(keyFile, 'utf8')) as jose.JWK & { kid: string };
  return { kid: jwk.kid, key: await jose.importJWK(jwk, 'ES256') };
}

/** Reads a witness file: every checkpoint it signed, oldest first. */
export function readWitnessFile(file: string): WitnessedCheckpoint[] {
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as WitnessedCheckpoint);
}
