import { expect } from 'chai';
import * as jose from 'jose';
import { RemoteJwks } from '../../shared/identity/remote-jwks.js';

describe('remote JWKS (cluster issuer keys)', () => {
  async function keyPair(kid: string) {
    const { privateKey, publicKey } = await jose.generateKeyPair('ES256', { extractable: true });
    return { privateKey, jwk: { ...(await jose.exportJWK(publicKey)), kid, alg: 'ES256' } };
  }
  const sign = (key: Awaited<ReturnType<typeof keyPair>>, kid: string) =>
    new jose.SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid })
      .setIssuer('i')
      .setAudience('a')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(key.privateKey);

  it('refetches on an unknown kid (rotation), at most once per interval', async () => {
    const k1 = await keyPair('k1');
    const k2 = await keyPair('k2');
    let published = [k1.jwk];
    let now = 0;
    const jwks = new RemoteJwks(async () => ({ keys: published }), { minRefreshMs: 10_000, now: () => now });
    await jose.jwtVerify(await sign(k1, 'k1'), jwks.getKey);
    expect(jwks.fetches).to.equal(1);
    published = [k1.jwk, k2.jwk];
    now = 1000; // within the interval: an unknown kid does not trigger a fetch
    await jose.jwtVerify(await sign(k2, 'k2'), jwks.getKey).then(
      () => expect.fail('accepted'),
      (e) => expect(e).to.be.instanceOf(jose.errors.JWKSNoMatchingKey),
    );
    expect(jwks.fetches).to.equal(1);
    now = 20_000;
    await jose.jwtVerify(await sign(k2, 'k2'), jwks.getKey);
    expect(jwks.fetches).to.equal(2);
    for (let i = 0; i < 20; i++)
      await jose.jwtVerify(await sign(k2, `made-up-${i}`), jwks.getKey).catch(() => undefined);
    expect(jwks.fetches).to.equal(2);
  });
});
