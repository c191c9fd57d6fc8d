import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as jose from 'jose';
import { ensureDevKey, issueDevToken } from '../../proxy/identity/dev-issuer.js';
import { IdentityError, TokenVerifier } from '../../proxy/identity/verify.js';

describe('token verification (jose)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'agentgate-id-'));
  const issuer = 'https://issuer.example';
  let verifier: TokenVerifier;
  const token = (o: Partial<Parameters<typeof issueDevToken>[0]> = {}) =>
    issueDevToken({ dir, issuer, subject: 'agent-1', audience: 'agentgate', ttlSeconds: 300, ...o });
  const rejects = async (t: string, reason: RegExp): Promise<void> => {
    try {
      await verifier.verify(t);
    } catch (e) {
      expect(e).to.be.instanceOf(IdentityError);
      expect((e as Error).message).to.match(reason);
      return;
    }
    expect.fail('token was accepted');
  };

  before(async () => {
    const key = await ensureDevKey(dir);
    verifier = new TokenVerifier({
      issuers: [{ issuer, audiences: ['agentgate'], jwksFile: key.jwksFile }],
      maxTokenLifetimeSeconds: 900,
    });
  });

  it('accepts a valid token and reports the principal', async () => {
    const p = await verifier.verify(await token());
    expect(p).to.include({ iss: issuer, sub: 'agent-1' });
    expect(p.jti).to.be.a('string');
  });
  it('rejects alg none', async () => {
    const unsigned = `${jose.base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${jose.base64url.encode(JSON.stringify({ iss: issuer, sub: 'x', aud: 'agentgate', iat: 1, exp: 9999999999 }))}.`;
    await rejects(unsigned, /algorithm "none"/);
  });
  it('rejects HS256 (HS/RS confusion with the public key as secret)', async () => {
    const pub = JSON.stringify((await import('node:fs')).readFileSync(join(dir, 'dev-jwks.json'), 'utf8'));
    const t = await new jose.SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(issuer)
      .setSubject('x')
      .setAudience('agentgate')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(pub));
    await rejects(t, /HS256/);
  });
  it('rejects wrong audience, wrong issuer, expired, not yet valid, too long', async () => {
    await rejects(await token({ audience: 'other' }), /audience/);
    await rejects(await token({ issuer: 'https://evil.example' }), /not trusted/);
    await rejects(await token({ now: Math.floor(Date.now() / 1000) - 1000 }), /expired/);
    await rejects(await token({ now: Math.floor(Date.now() / 1000) + 1000 }), /not yet valid|iat/);
    await rejects(await token({ ttlSeconds: 3600 }), /lifetime 3600s exceeds/);
  });
  it('rejects a token signed by an unknown key (unknown kid) and a tampered one', async () => {
    const otherDir = mkdtempSync(join(tmpdir(), 'agentgate-id2-'));
    await rejects(
      await issueDevToken({ dir: otherDir, issuer, subject: 'x', audience: 'agentgate', ttlSeconds: 60 }),
      /unknown kid|no key/,
    );
    const t = await token();
    const [h, , s] = t.split('.');
    const forged = `${h}.${jose.base64url.encode(JSON.stringify({ iss: issuer, sub: 'admin', aud: 'agentgate', iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 60 }))}.${s}`;
    await rejects(forged, /signature/);
  });
  it('rejects garbage and empty passwords', async () => {
    await rejects('not-a-jwt', /well-formed/);
    await rejects('', /no token/);
  });
  it('refuses to start with an unreadable JWKS file', () => {
    writeFileSync(join(dir, 'broken.json'), '{');
    expect(
      () =>
        new TokenVerifier({
          issuers: [{ issuer, audiences: ['a'], jwksFile: join(dir, 'broken.json') }],
          maxTokenLifetimeSeconds: 900,
        }),
    ).to.throw(/cannot read jwksFile/);
  });
});
