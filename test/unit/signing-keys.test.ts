/**
 * The operator's key rings as replicas share them through one Secret: replicas that start together
 * must end up signing with the same key (a checkpoint signed by one must verify with the keys another
 * publishes). The Secret store is an in-memory stand-in with the API server's create/replace conflicts.
 */
import { expect } from 'chai';
import { ApiException, type CoreV1Api, type V1Secret } from '@kubernetes/client-node';
import { SigningKeys } from '../../operator/identity/signing-keys.js';

/** Secrets by name, with resourceVersion conflicts; reads can be held until both replicas have read. */
function secretStore(holdReads = 0): CoreV1Api {
  let stored: V1Secret | undefined;
  let version = 0;
  let waiting: (() => void)[] = [];
  const conflict = (code: number): Error => new ApiException(code, String(code), '{}', {});
  const api = {
    readNamespacedSecret: async () => {
      const snapshot = stored && structuredClone(stored);
      if (holdReads > 0) {
        holdReads--;
        await new Promise<void>((resolve) => {
          waiting.push(resolve);
          if (holdReads === 0) for (const w of waiting.splice(0)) w();
        });
        waiting = [];
      }
      if (!snapshot) throw conflict(404);
      return snapshot;
    },
    createNamespacedSecret: async ({ body }: { body: V1Secret }) => {
      if (stored) throw conflict(409);
      stored = { ...body, metadata: { ...body.metadata, resourceVersion: String(++version) } };
      return stored;
    },
    replaceNamespacedSecret: async ({ body }: { body: V1Secret }) => {
      if (!stored || body.metadata?.resourceVersion !== stored.metadata?.resourceVersion) throw conflict(409);
      stored = { ...body, metadata: { ...body.metadata, resourceVersion: String(++version) } };
      return stored;
    },
  };
  return api as unknown as CoreV1Api;
}

describe('operator signing keys shared by replicas', () => {
  it('two replicas starting together sign with one key, and each publishes it', async () => {
    const core = secretStore(2);
    const a = new SigningKeys({ core, namespace: 'ns', secretName: 'keys' });
    const b = new SigningKeys({ core, namespace: 'ns', secretName: 'keys' });
    await Promise.all([a.load(), b.load()]);
    const [ka, kb] = [await a.signingKey(), await b.signingKey()];
    expect(ka.kid).to.equal(kb.kid);
    expect(a.jwks().keys.map((k) => k.kid)).to.deep.equal(b.jwks().keys.map((k) => k.kid));
  });

  it('a replica starting after the first adopts its key; a rotation adds one and keeps the old published', async () => {
    const core = secretStore();
    const a = new SigningKeys({ core, namespace: 'ns', secretName: 'keys' });
    await a.load();
    const b = new SigningKeys({ core, namespace: 'ns', secretName: 'keys' });
    await b.load();
    expect((await b.signingKey()).kid).to.equal((await a.signingKey()).kid);
    const first = (await a.signingKey()).kid;
    await a.rotate();
    expect((await a.signingKey()).kid).to.not.equal(first);
    expect(a.jwks().keys.map((k) => k.kid)).to.include(first);
  });
});
