/**
 * The lifetime cap counts from now as well as from iat: a token issued in the future (beyond the clock
 * skew allowed) is refused, and no accepted token stays valid longer than the cap from now.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as jose from 'jose';
import { ensureDevKey } from '../../proxy/identity/dev-issuer.js';
import { IdentityError, TokenVerifier } from '../../proxy/identity/verify.js';
import { tokenTimeError } from '../../shared/identity/token-rules.js';

describe('token lifetime cap counted from now (iat in the future)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'agentgate-lifetime-'));
  const issuer = 'https://issuer.example';
  const now = 1_900_000_000;
  let verifier: TokenVerifier;
  let key: Awaited<ReturnType<typeof ensureDevKey>>;

  /** A token with exactly these time claims (no nbf unless given), signed by the trusted key. */
  const sign = (claims: { iat?: number; exp: number; nbf?: number }): Promise<string> =>
    new jose.SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'JWT' })
      .setIssuer(issuer)
      .setSubject('agent-1')
      .setAudience('agentgate')
      .setJti(randomUUID())
      .sign(key.privateKey);
  const refusal = async (t: string): Promise<string> => {
    try {
      await verifier.verify(t);
    } catch (e) {
      expect(e).to.be.instanceOf(IdentityError);
      expect((e as IdentityError).sqlState).to.equal('28P01');
      return (e as Error).message;
    }
    return expect.fail('token was accepted');
  };

  before(async () => {
    key = await ensureDevKey(dir);
    verifier = new TokenVerifier(
      { issuers: [{ issuer, audiences: ['agentgate'], jwksFile: key.jwksFile }], maxTokenLifetimeSeconds: 900 },
      { now: () => now },
    );
  });

  it('refuses a token whose iat is in the future, even when exp − iat is within the cap', async () => {
    // Minted an hour ahead with a 10-minute lifetime: exp − iat = 600 ≤ 900, but valid for 70 minutes from now.
    const message = await refusal(await sign({ iat: now + 3600, exp: now + 3600 + 600 }));
    expect(message).to.match(/iat is 3600s in the future/);
  });

  it('refuses a token that stays valid longer than the cap from now', async () => {
    // iat just within the skew allowed, but exp − now beyond the cap (and its skew).
    expect(tokenTimeError({ iat: now + 5, exp: now + 5 + 900 }, now, 5, 900)).to.equal(undefined);
    expect(tokenTimeError({ iat: now, exp: now + 910 }, now, 5, 900)).to.match(/lifetime 910s exceeds/);
    expect(tokenTimeError({ iat: now - 100, exp: now + 906 }, now, 5, 900)).to.match(/lifetime 1006s exceeds/);
    expect(tokenTimeError({ exp: now + 906 }, now, 5, 900)).to.match(
      /valid for 906s from now, more than the policy's maximum lifetime of 900s/,
    );
  });

  it('allows the usual clock skew, and keeps the cap on exp − iat', async () => {
    const p = await verifier.verify(await sign({ iat: now + 3, exp: now + 3 + 900 }));
    expect(p.sub).to.equal('agent-1');
    expect(await refusal(await sign({ iat: now - 100, exp: now + 850 }))).to.match(
      /lifetime 950s exceeds the policy's maximum of 900s/,
    );
    expect(await verifier.verify(await sign({ iat: now - 100, exp: now + 700 }))).to.include({ sub: 'agent-1' });
  });

  it('a token with a future nbf and iat is still refused (nbf), as before', async () => {
    expect(await refusal(await sign({ iat: now + 3600, nbf: now + 3600, exp: now + 3600 + 600 }))).to.match(
      /not yet valid|iat/,
    );
  });
});
