/**
 * The operator's countersignature as the manifest checks it, with a stand-in operator key: accepted only
 * over this manifest's digest, with its own type, for the namespace the manifest claims; a signature the
 * same key made for something else (an audit checkpoint) is no countersignature.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as jose from 'jose';
import { signCheckpoint } from '../../shared/contract/checkpoint.js';
import {
  COUNTERSIGNATURE_FILE,
  COUNTERSIGNATURE_TYPE,
  MANIFEST_AUDIENCE,
  signBundle,
  verifyBundle,
  type ManifestCountersigner,
} from '../../proxy/audit/manifest.js';

async function operatorKey(): Promise<{
  kid: string;
  key: Awaited<ReturnType<typeof jose.generateKeyPair>>['privateKey'];
  jwks: jose.JSONWebKeySet;
}> {
  const { privateKey, publicKey } = await jose.generateKeyPair('ES256', { extractable: true });
  const pub = await jose.exportJWK(publicKey);
  const kid = await jose.calculateJwkThumbprint(pub);
  return { kid, key: privateKey, jwks: { keys: [{ ...pub, kid, use: 'sig' }] } };
}

const countersigner = (
  k: Awaited<ReturnType<typeof operatorKey>>,
  claims: (digest: string) => Record<string, unknown>,
  typ = COUNTERSIGNATURE_TYPE,
): ManifestCountersigner => ({
  kind: 'operator audit key',
  url: 'https://operator.test',
  jwks: k.jwks,
  countersign: (digest) =>
    new jose.CompactSign(new TextEncoder().encode(JSON.stringify(claims(digest))))
      .setProtectedHeader({ alg: 'ES256', kid: k.kid, typ })
      .sign(k.key),
});

const rejection = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'resolved',
    (e: Error) => e.message,
  );

const bundle = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'agentgate-csign-unit-'));
  writeFileSync(join(d, 'report.html'), '<p>report</p>\n');
  return d;
};
const params = (namespace?: string) => ({
  exportedAt: new Date().toISOString(),
  period: { from: '2026-11-01T00:00:00.000Z', to: '2026-11-30T00:00:00.000Z' },
  source: 'cluster' as const,
  ...(namespace ? { namespace } : {}),
});
const claims = (namespace?: string) => (digest: string) => ({
  iss: 'https://operator.test',
  aud: MANIFEST_AUDIENCE,
  iat: Math.floor(Date.now() / 1000),
  manifestSha256: digest,
  sub: 'approver-1',
  ...(namespace ? { namespace } : {}),
});

describe('report16: the operator countersignature in the manifest', () => {
  it("verifies by the operator key's fingerprint and names who asked", async () => {
    const k = await operatorKey();
    const d = bundle();
    await signBundle(d, params('agents'), undefined, countersigner(k, claims('agents')));
    const v = await verifyBundle(d, { fingerprints: [k.kid] });
    expect(v.ok, v.problems.join('\n')).to.equal(true);
    expect(v.signatures).to.deep.equal([
      {
        file: COUNTERSIGNATURE_FILE,
        kid: k.kid,
        signedAt: v.signatures[0]!.signedAt,
        requestedBy: 'approver-1',
        issuer: 'https://operator.test',
      },
    ]);
  });

  it('refuses a countersignature for another namespace (or all) than the manifest claims', async () => {
    const k = await operatorKey();
    const d = bundle();
    await signBundle(d, params('agents'), undefined, countersigner(k, claims('other')));
    const v = await verifyBundle(d, { fingerprints: [k.kid] });
    expect(v.ok).to.equal(false);
    expect(v.problems.join('\n')).to.contain(
      'countersigned for namespace other, but the manifest says namespace agents',
    );
    const wide = bundle();
    await signBundle(wide, params(), undefined, countersigner(k, claims('agents')));
    expect((await verifyBundle(wide, { fingerprints: [k.kid] })).problems.join('\n')).to.contain(
      'but the manifest says all namespaces',
    );
  });

  it('does not take a checkpoint the same key signed, nor a JWS of another type, for a countersignature', async () => {
    const k = await operatorKey();
    const d = bundle();
    await signBundle(d, params('agents'), undefined, countersigner(k, claims('agents')));
    const checkpoint = await signCheckpoint(
      { stream: 'agents/pod/uid', seq: 1, hash: 'a'.repeat(64), time: new Date().toISOString() },
      { kid: k.kid, key: k.key },
      'https://operator.test',
      Date.now(),
    );
    writeFileSync(join(d, COUNTERSIGNATURE_FILE), `${checkpoint.jws}\n`);
    const v = await verifyBundle(d, { fingerprints: [k.kid] });
    expect(v.ok).to.equal(false);
    expect(v.problems.join('\n')).to.contain(
      `${COUNTERSIGNATURE_FILE}: the signature does not verify with the trusted keys: unexpected header typ`,
    );
    const other = bundle();
    expect(
      await rejection(signBundle(other, params('agents'), undefined, countersigner(k, claims('agents'), 'JWT'))),
    ).to.contain('does not verify with its published keys');
  });

  it('refuses to write a countersignature over another digest, and a bundle without it when the manifest names it', async () => {
    const k = await operatorKey();
    expect(
      await rejection(
        signBundle(
          bundle(),
          params('agents'),
          undefined,
          countersigner(k, () => claims('agents')('b'.repeat(64))),
        ),
      ),
    ).to.contain('another digest');
    const { privateKey, publicKey } = await jose.generateKeyPair('ES256', { extractable: true });
    const pub = await jose.exportJWK(publicKey);
    const local = {
      kid: await jose.calculateJwkThumbprint(pub),
      key: privateKey,
      kind: 'local witness key',
      jwks: { keys: [pub] },
    };
    const d = bundle();
    await signBundle(d, params('agents'), local, countersigner(k, claims('agents')));
    expect((await verifyBundle(d, { fingerprints: [local.kid] })).ok).to.equal(true);
    rmSync(join(d, COUNTERSIGNATURE_FILE));
    const v = await verifyBundle(d, { fingerprints: [local.kid] });
    expect(v.ok).to.equal(false);
    expect(v.problems).to.include(
      `removed: ${COUNTERSIGNATURE_FILE} (the manifest names the operator's countersignature)`,
    );
  });
});
