/**
 * An operator signing-key ring, kept in a Secret so replicas share it: one for run tokens, one for
 * audit checkpoints. Rotation adds a new key and signs with it; the previous keys stay published for an
 * overlap window (longer than any run token lives), so no valid token is refused during a rotation.
 * Evidence must stay verifiable for years, so the audit ring keeps retired keys' public halves forever
 * (`keepRetiredPublicKeys`) and drops only their private halves.
 */
import type { CoreV1Api, V1Secret } from '@kubernetes/client-node';
import * as jose from 'jose';
import { statusOf } from '../../shared/kube/client.js';

interface StoredKey {
  kid: string;
  createdAt: number;
  /** When a newer key replaced it (published until retiredAt + overlap). */
  retiredAt?: number;
  jwk: jose.JWK;
}

export interface SigningKeysOptions {
  core: CoreV1Api;
  namespace: string;
  secretName: string;
  /** Keep the public half of keys retired longer than the overlap ago (audit checkpoints). */
  keepRetiredPublicKeys?: boolean;
  /** How long a replaced key stays published (default 30 min: twice the longest run token). */
  overlapMs?: number;
  now?: () => number;
}

export class SigningKeys {
  private keys: StoredKey[] = [];
  private readonly now: () => number;

  constructor(private readonly o: SigningKeysOptions) {
    this.now = o.now ?? Date.now;
  }

  private get name(): string {
    return this.o.secretName;
  }

  /**
   * Loads the keys, creating the first one if there is none. Replicas starting together race here: the
   * first key written wins, and a replica that finds one written meanwhile adopts it (adding its own
   * would leave the winner signing with a key the others had already retired).
   */
  async load(): Promise<void> {
    const secret = await this.read();
    if (secret) {
      this.keys = JSON.parse(
        Buffer.from(secret.data?.['keys.json'] ?? '', 'base64').toString('utf8') || '[]',
      ) as StoredKey[];
      if (this.keys.length) return;
    }
    const first = await newKey();
    await this.rewrite((current, now) => (current.length ? current : [{ ...first, createdAt: now }]), true);
  }

  /** Adds a new signing key; keys retired longer than the overlap ago are dropped (or stripped to their public half). */
  async rotate(): Promise<void> {
    const fresh = await newKey();
    await this.rewrite((current, now) => [
      ...this.retire(
        current.map((k) => (k.retiredAt ? k : { ...k, retiredAt: now })),
        now,
      ),
      { ...fresh, createdAt: now },
    ]);
  }

  /**
   * Drops what rotation would drop, without a new key: the leader calls this periodically, so a retired
   * private key is gone once its overlap has passed, not only at the next rotation.
   */
  async prune(): Promise<void> {
    await this.rewrite((current, now) => this.retire(current, now), true);
  }

  private retire(keys: StoredKey[], now: number): StoredKey[] {
    const overlap = this.o.overlapMs ?? 30 * 60_000;
    return keys.flatMap((k) =>
      !k.retiredAt || now - k.retiredAt <= overlap
        ? [k]
        : this.o.keepRetiredPublicKeys
          ? [{ ...k, jwk: publicHalf(k.jwk) }]
          : [],
    );
  }

  private async rewrite(
    change: (current: StoredKey[], now: number) => StoredKey[],
    onlyIfChanged = false,
  ): Promise<void> {
    const secret = await this.read();
    const current = secret
      ? (JSON.parse(Buffer.from(secret.data?.['keys.json'] ?? '', 'base64').toString('utf8') || '[]') as StoredKey[])
      : [];
    const next = change(current, this.now());
    if (onlyIfChanged && JSON.stringify(next) === JSON.stringify(current)) {
      this.keys = current;
      return;
    }
    const body: V1Secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: {
        name: this.name,
        namespace: this.o.namespace,
        labels: { 'app.kubernetes.io/managed-by': 'agentgate' },
        ...(secret?.metadata?.resourceVersion ? { resourceVersion: secret.metadata.resourceVersion } : {}),
      },
      data: { 'keys.json': Buffer.from(JSON.stringify(next)).toString('base64') },
    };
    try {
      if (secret) await this.o.core.replaceNamespacedSecret({ name: this.name, namespace: this.o.namespace, body });
      else await this.o.core.createNamespacedSecret({ namespace: this.o.namespace, body });
      this.keys = next;
    } catch (e) {
      if (statusOf(e) === 409) return this.load(); // another replica wrote first
      throw e;
    }
  }

  private async read(): Promise<V1Secret | undefined> {
    try {
      return await this.o.core.readNamespacedSecret({ name: this.name, namespace: this.o.namespace });
    } catch (e) {
      if (statusOf(e) === 404) return undefined;
      throw e;
    }
  }

  get newestCreatedAt(): number {
    return this.keys[this.keys.length - 1]?.createdAt ?? 0;
  }

  /** The newest key, which signs. */
  async signingKey(): Promise<{ kid: string; key: Awaited<ReturnType<typeof jose.importJWK>> }> {
    const k = this.keys[this.keys.length - 1];
    if (!k?.jwk.d) throw new Error(`no signing key loaded from Secret ${this.name}`);
    return { kid: k.kid, key: await jose.importJWK(k.jwk, 'ES256') };
  }

  /** Every published public key (the newest and those still in their overlap window). */
  jwks(): jose.JSONWebKeySet {
    return { keys: this.keys.map(({ jwk }) => ({ ...publicHalf(jwk), use: 'sig' })) };
  }
}

async function newKey(): Promise<Omit<StoredKey, 'createdAt'>> {
  const { privateKey } = await jose.generateKeyPair('ES256', { extractable: true });
  const jwk = await jose.exportJWK(privateKey);
  const kid = await jose.calculateJwkThumbprint(publicHalf(jwk));
  return { kid, jwk: { ...jwk, kid, alg: 'ES256' } };
}

function publicHalf(jwk: jose.JWK): jose.JWK {
  const { d: _d, ...pub } = jwk;
  return pub;
}
