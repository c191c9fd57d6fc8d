/**
 * Hostile review of issue #15, OIDC side: a person's ID token (or something posing as one) as the
 * subject of the operator's RFC 8693 exchange, through the real router on 127.0.0.1. The attacker holds
 * a low-privileged person's IdP tokens, or is the agent itself holding its own pod token.
 */
import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as jose from 'jose';
import { ensureDevKey } from '../../proxy/identity/dev-issuer.js';
import type { AgentAccessPolicy, TriggerIssuerSpec } from '../../shared/contract/policy-types.js';
import { CLUSTER_ISSUER, startExchange, type ExchangeHarness } from '../support/exchange-harness.js';

const JWT_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';
const SAML2 = 'urn:ietf:params:oauth:token-type:saml2';
const IDP = 'https://login.example.com';
const CLIENT = 'agentgate-cli';

describe('rev15: OIDC subject tokens under attack', function () {
  this.timeout(60_000);
  const dir = mkdtempSync(join(tmpdir(), 'agentgate-rev15-oidc-'));
  let ex: ExchangeHarness;
  let key: Awaited<ReturnType<typeof jose.generateKeyPair>>['privateKey'];
  let jwksFile: string;
  let triggers: TriggerIssuerSpec[];
  const policy = (): AgentAccessPolicy => ({
    apiVersion: 'agentgate.dev/v1alpha1',
    kind: 'AgentAccessPolicy',
    metadata: { name: 'billing-agent', namespace: 'agents' },
    spec: {
      mode: 'Enforce',
      subjects: { serviceAccounts: [{ name: 'billing-agent' }] },
      identity: { issuers: [], maxTokenLifetimeSeconds: 900, requireTriggeredBy: true, triggerIssuers: triggers },
      targets: [],
      defaultAction: 'Deny',
    },
  });
  const idToken = async (
    claims: jose.JWTPayload,
    o: { aud?: string | string[]; header?: Partial<jose.JWTHeaderParameters> } = {},
  ): Promise<string> => {
    const now = Math.floor(Date.now() / 1000);
    return new jose.SignJWT({ sub: 'mallory', ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: 'idp-1', typ: 'JWT', ...o.header })
      .setIssuer(IDP)
      .setAudience(o.aud ?? CLIENT)
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(key);
  };
  const refused = async (token: string, reason: RegExp, type = ID_TOKEN_TYPE): Promise<void> => {
    const r = await ex.exchange(token, type);
    expect(r.status, JSON.stringify(r.body)).to.equal(400);
    expect(r.body.error, JSON.stringify(r.body)).to.equal('invalid_grant');
    expect(r.body.error_description).to.match(reason);
  };
  const accepted = async (token: string, type = ID_TOKEN_TYPE): Promise<jose.JWTPayload> => {
    const r = await ex.exchange(token, type);
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    return jose.decodeJwt(r.body.access_token!);
  };

  before(async () => {
    const pair = await jose.generateKeyPair('RS256', { extractable: true });
    key = pair.privateKey;
    jwksFile = join(dir, 'idp-jwks.json');
    writeFileSync(
      jwksFile,
      JSON.stringify({ keys: [{ ...(await jose.exportJWK(pair.publicKey)), kid: 'idp-1', alg: 'RS256', use: 'sig' }] }),
    );
    triggers = [{ issuer: IDP, audiences: [CLIENT], jwksFile, groupsClaim: 'groups' }];
    ex = await startExchange({ policy, dir });
  });
  beforeEach(() => {
    triggers = [{ issuer: IDP, audiences: [CLIENT], jwksFile, groupsClaim: 'groups' }];
  });
  after(() => ex?.close());

  describe('groups the IdP did not send are not "no groups" (a Deny on a group must still bite)', () => {
    it('Entra ID groups overage: no groups claim, a distributed-claims pointer for it (_claim_names) is refused', async () => {
      const token = await idToken({
        _claim_names: { groups: 'src1' },
        _claim_sources: { src1: { endpoint: 'https://graph.windows.net/tenant/users/mallory/getMemberObjects' } },
      });
      await refused(token, /groups .*(overage|not in the token|elsewhere)/i);
    });
    it('Entra ID implicit-flow overage marker hasgroups: true is refused', async () => {
      await refused(await idToken({ hasgroups: true }), /groups .*(overage|not in the token|elsewhere)/i);
    });
    it('a nested groups claim named by a path (Keycloak realm_access.roles) is not silently read as no groups', async () => {
      triggers = [{ ...triggers[0]!, groupsClaim: 'realm_access.roles' }];
      await refused(await idToken({ realm_access: { roles: ['contractors'] } }), /realm_access\.roles .*nested/);
      // A claim whose name has dots (Auth0's namespaced claims) is read as named.
      triggers = [{ ...triggers[0]!, groupsClaim: 'https://example.com/groups' }];
      expect(
        (await accepted(await idToken({ 'https://example.com/groups': ['contractors'] }))).triggered_by_groups,
      ).to.deep.equal(['contractors']);
    });
    it('a groups claim that is present still works, as an array or a single string', async () => {
      expect((await accepted(await idToken({ groups: ['eng', 'contractors'] }))).triggered_by_groups).to.deep.equal([
        'eng',
        'contractors',
      ]);
      expect((await accepted(await idToken({ groups: 'contractors' }))).triggered_by_groups).to.deep.equal([
        'contractors',
      ]);
    });
    it('groups that are not a list of names (nested objects, numbers, empty names) are refused, not dropped', async () => {
      await refused(await idToken({ groups: [{ name: 'contractors' }] }), /claim groups must be a list of group names/);
      await refused(await idToken({ groups: { contractors: true } }), /claim groups must be a list of group names/);
      await refused(await idToken({ groups: ['eng', 7] }), /claim groups must be a list of group names/);
      await refused(await idToken({ groups: [''] }), /claim groups must be a list of group names/);
    });
  });

  describe('a token issued to another client is not a login to agentgate', () => {
    it('azp names another client (an app the attacker runs that lists agentgate among its audiences): refused', async () => {
      await refused(await idToken({ azp: 'attackers-app' }, { aud: ['attackers-app', CLIENT] }), /azp/);
      await refused(await idToken({ azp: 'attackers-app' }), /azp/);
    });
    it("Entra ID: appid of another client (v1 tokens), or an app-only token (idtyp app, the agent's own client credentials), is refused", async () => {
      await refused(await idToken({ appid: 'agents-own-app' }), /appid/);
      await refused(await idToken({ idtyp: 'app', sub: 'sp-object-id' }), /idtyp app/);
    });
    it('several audiences and no azp: refused (whose login is it?)', async () => {
      await refused(await idToken({}, { aud: ['attackers-app', CLIENT] }), /azp/);
    });
    it('azp that is ours, with several audiences, is accepted; a single audience without azp too', async () => {
      await accepted(await idToken({ azp: CLIENT }, { aud: [CLIENT, 'https://api.example'] }));
      await accepted(await idToken({}, { aud: [CLIENT] }));
    });
  });

  describe('an agent cannot be its own "person"', () => {
    it('its own service-account token as the subject is refused even when the policy (wrongly) trusts the cluster issuer for people', async () => {
      const cluster = await ensureDevKey(dir);
      triggers = [{ issuer: CLUSTER_ISSUER, audiences: ['agentgate'], jwksFile: cluster.jwksFile }];
      await refused(await ex.actorToken(), /service-account token|kubernetes/i, JWT_TYPE);
    });
    it('a run token the operator minted, fed back as the subject, is refused even when the operator is (wrongly) a trigger issuer', async () => {
      const first = await ex.exchange(await idToken({}), ID_TOKEN_TYPE);
      expect(jose.decodeJwt(first.body.access_token!).iss).to.equal(ex.url);
      const opJwks = join(dir, 'operator-jwks.json');
      writeFileSync(opJwks, JSON.stringify(await (await fetch(`${ex.url}/.well-known/jwks.json`)).json()));
      triggers = [
        { issuer: IDP, audiences: [CLIENT], jwksFile },
        { issuer: ex.url, audiences: ['agentgate'], jwksFile: opJwks },
      ];
      await refused(first.body.access_token!, /run token|operator/i, JWT_TYPE);
    });
  });

  describe('the person cannot hide the name approvals know them by', () => {
    it('the issuer maps people to Kubernetes by email, the token carries none (email scope left out of the login): refused', async () => {
      triggers = [{ ...triggers[0]!, kubernetesUsername: { claim: 'email' } }];
      await refused(await idToken({ sub: '5f1c-opaque' }), /email/);
      await refused(
        await idToken({ sub: '5f1c-opaque', email: 'mallory@example.com', email_verified: false }),
        /email/,
      );
      await refused(
        await idToken({ sub: '5f1c-opaque', email: 'mallory@example.com', email_verified: 'false' }),
        /email/,
      );
      await refused(await idToken({ sub: '5f1c-opaque', email: `${'m'.repeat(520)}@example.com` }), /email/);
    });
    it('with the email, it travels whole and the exchange succeeds', async () => {
      triggers = [{ ...triggers[0]!, kubernetesUsername: { claim: 'email' } }];
      expect(
        (await accepted(await idToken({ sub: '5f1c-opaque', email: 'mallory@example.com' }))).triggered_by_email,
      ).to.equal('mallory@example.com');
    });
  });

  describe('algorithm and type confusion (regressions)', () => {
    it("alg none and HS256 keyed with the IdP's public key are refused", async () => {
      const unsigned = new jose.UnsecuredJWT({ sub: 'admin' })
        .setIssuer(IDP)
        .setAudience(CLIENT)
        .setIssuedAt()
        .setExpirationTime('5m')
        .encode();
      await refused(unsigned, /subject_token/);
      const pubPem = Buffer.from(JSON.stringify((await jose.exportJWK(key)).n));
      const hs = await new jose.SignJWT({ sub: 'admin' })
        .setProtectedHeader({ alg: 'HS256', kid: 'idp-1' })
        .setIssuer(IDP)
        .setAudience(CLIENT)
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(pubPem);
      await refused(hs, /subject_token/);
    });
    it('a JWT sent as saml2, and an unknown token type, are refused', async () => {
      await refused(await idToken({}), /not base64url/, SAML2);
      const r = await ex.exchange(await idToken({}), 'urn:ietf:params:oauth:token-type:access_token');
      expect(r.status).to.equal(400);
      expect(r.body.error).to.equal('invalid_request');
    });
    it('a token without nonce is still only the person (no nonce to bind here): accepted, no extra claims travel', async () => {
      const claims = await accepted(await idToken({ groups: ['eng'], role: 'admin', 'kubernetes.io': undefined }));
      expect(claims).to.not.have.property('role');
      expect(claims.sub).to.equal('mallory');
    });
    it('a huge subject token is refused before it is parsed', async () => {
      const huge = await idToken({ groups: Array.from({ length: 3000 }, (_, i) => `group-number-${i}`) });
      const res = await fetch(`${ex.url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
          subject_token: huge,
          subject_token_type: ID_TOKEN_TYPE,
          actor_token: await ex.actorToken(),
        }).toString(),
      });
      expect(res.status).to.equal(413);
      expect(await res.text()).to.not.contain('access_token');
    });
  });
});
