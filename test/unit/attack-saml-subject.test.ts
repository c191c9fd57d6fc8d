/**
 * Hostile review of issue #15, SAML side: assertions the IdP really signed (its key, via xml-crypto),
 * shaped the way an IdP can be made to shape them for a low-privileged user (NameID format asked for in
 * the AuthnRequest, groups overage, proxy restrictions), and signed documents tampered with in ways the
 * 8 classic XSW variants do not cover (namespace redeclaration, xml:base, entity and CDATA encodings).
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as jose from 'jose';
import { SignedXml } from 'xml-crypto';
import { ReplayCache } from '../../operator/identity/replay-cache.js';
import { SAML2_TOKEN_TYPE } from '../../operator/identity/saml-subject.js';
import type { AgentAccessPolicy, TriggerIssuerSpec } from '../../shared/contract/policy-types.js';
import { startExchange, type ExchangeHarness } from '../support/exchange-harness.js';
import { b64url } from '../support/saml-idp.js';
import { newKeyPair } from '../support/self-signed.js';

const IDP = 'https://adfs.example/adfs/services/trust';
const SP = 'https://agentgate.example/sp';
const GROUPS = 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups';
const EMAIL = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';

interface Shape {
  nameId?: string;
  nameIdXml?: string;
  format?: string | null;
  conditionsExtra?: string;
  confirmations?: string;
  attributes?: string;
  id?: string;
}

describe('rev15: SAML subject tokens under attack', function () {
  this.timeout(60_000);
  const dir = mkdtempSync(join(tmpdir(), 'agentgate-rev15-saml-'));
  const { keyPem, certPem } = newKeyPair(dir, 'rev15-idp');
  let ex: ExchangeHarness;
  let trigger: TriggerIssuerSpec;
  const replay = new ReplayCache(1000);
  const policy = (): AgentAccessPolicy => ({
    apiVersion: 'agentgate.dev/v1alpha1',
    kind: 'AgentAccessPolicy',
    metadata: { name: 'billing-agent', namespace: 'agents' },
    spec: {
      mode: 'Enforce',
      subjects: { serviceAccounts: [{ name: 'billing-agent' }] },
      identity: { issuers: [], maxTokenLifetimeSeconds: 900, requireTriggeredBy: true, triggerIssuers: [trigger] },
      targets: [],
      defaultAction: 'Deny',
    },
  });

  /** An assertion the IdP signs (exclusive c14n, RSA-SHA256), shaped as asked. */
  const signed = (s: Shape = {}): string => {
    const now = new Date();
    const until = new Date(now.getTime() + 300_000);
    const t = (d: Date): string => d.toISOString();
    const format = s.format === null ? '' : ` Format="${s.format ?? EMAIL}"`;
    const confirmations =
      s.confirmations ??
      `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="${t(until)}" Recipient="${ex.url}/token"/></saml:SubjectConfirmation>`;
    const xml =
      `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${s.id ?? `_${randomUUID()}`}" Version="2.0" IssueInstant="${t(now)}">` +
      `<saml:Issuer>${IDP}</saml:Issuer>` +
      `<saml:Subject>${s.nameIdXml ?? `<saml:NameID${format}>${s.nameId ?? 'mallory@example.com'}</saml:NameID>`}${confirmations}</saml:Subject>` +
      `<saml:Conditions NotBefore="${t(now)}" NotOnOrAfter="${t(until)}"><saml:AudienceRestriction><saml:Audience>${SP}</saml:Audience></saml:AudienceRestriction>${s.conditionsExtra ?? ''}</saml:Conditions>` +
      (s.attributes ?? '') +
      '</saml:Assertion>';
    const sig = new SignedXml({
      privateKey: keyPem,
      publicCert: certPem,
      signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
      canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
    });
    sig.addReference({
      xpath: "/*[local-name(.)='Assertion']",
      digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
      transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
    });
    sig.computeSignature(xml, {
      location: { reference: "/*[local-name(.)='Assertion']/*[local-name(.)='Issuer']", action: 'after' },
    });
    return sig.getSignedXml();
  };
  const groupsAttr = (...values: string[]): string =>
    `<saml:AttributeStatement><saml:Attribute Name="${GROUPS}">${values.map((v) => `<saml:AttributeValue>${v}</saml:AttributeValue>`).join('')}</saml:Attribute></saml:AttributeStatement>`;
  const refused = async (xml: string, reason: RegExp): Promise<void> => {
    const r = await ex.exchange(b64url(xml), SAML2_TOKEN_TYPE);
    expect(r.status, JSON.stringify(r.body)).to.equal(400);
    expect(r.body.error).to.equal('invalid_grant');
    expect(r.body.error_description).to.match(reason);
  };
  const accepted = async (xml: string): Promise<jose.JWTPayload> => {
    const r = await ex.exchange(b64url(xml), SAML2_TOKEN_TYPE);
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    return jose.decodeJwt(r.body.access_token!);
  };

  before(async () => {
    trigger = { issuer: IDP, audiences: [SP], saml: { certificates: [certPem], groupsAttribute: GROUPS } };
    ex = await startExchange({ policy, dir, replay });
  });
  beforeEach(() => {
    trigger = { issuer: IDP, audiences: [SP], saml: { certificates: [certPem], groupsAttribute: GROUPS } };
  });
  after(() => ex?.close());

  it('the signer here makes assertions the exchange accepts', async () => {
    const claims = await accepted(signed({ attributes: groupsAttr('eng', 'contractors') }));
    expect(claims).to.include({ sub: 'mallory@example.com', triggered_by_email: 'mallory@example.com' });
    expect(claims.triggered_by_groups).to.deep.equal(['eng', 'contractors']);
  });

  describe("the person's name", () => {
    it("a transient NameID (asked for in the AuthnRequest's NameIDPolicy) names a session, not a person: refused", async () => {
      await refused(
        signed({ nameId: '_9f3c1e0b7a', format: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient' }),
        /transient/,
      );
    });
    it('an entity NameID (a system, not a person) is refused', async () => {
      await refused(
        signed({ nameId: 'https://ci.example', format: 'urn:oasis:names:tc:SAML:2.0:nameid-format:entity' }),
        /entity/,
      );
    });
    it('a transient NameID is fine when the name comes from nameAttribute', async () => {
      trigger = { issuer: IDP, audiences: [SP], saml: { certificates: [certPem], nameAttribute: 'uid' } };
      const claims = await accepted(
        signed({
          nameId: '_9f3c1e0b7a',
          format: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
          attributes:
            '<saml:AttributeStatement><saml:Attribute Name="uid"><saml:AttributeValue>mallory</saml:AttributeValue></saml:Attribute></saml:AttributeStatement>',
        }),
      );
      expect(claims.sub).to.equal('mallory');
    });
    it('a NameID without Format, or persistent, still names the person (regression)', async () => {
      expect((await accepted(signed({ format: null, nameId: 'mallory' }))).sub).to.equal('mallory');
      const p = await accepted(
        signed({ format: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent', nameId: 'S-1-5-21-1004' }),
      );
      expect(p.sub).to.equal('S-1-5-21-1004');
      expect(p).to.not.have.property('triggered_by_email');
    });
    it('the issuer maps people to Kubernetes by email, the assertion names them otherwise (persistent NameID): refused', async () => {
      trigger = {
        issuer: IDP,
        audiences: [SP],
        kubernetesUsername: { claim: 'email' },
        saml: { certificates: [certPem] },
      };
      await refused(
        signed({ format: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent', nameId: 'S-1-5-21-1004' }),
        /email/,
      );
      expect((await accepted(signed({ nameId: 'mallory@example.com' }))).triggered_by_email).to.equal(
        'mallory@example.com',
      );
    });
    it('a NameID with a child element (e.g. an element spliced into the name) is refused (regression)', async () => {
      await refused(
        signed({ nameIdXml: `<saml:NameID Format="${EMAIL}">admin<saml:X/>@example.com</saml:NameID>` }),
        /NameID must be text only/,
      );
    });
  });

  describe('groups', () => {
    it('Entra ID SAML groups overage (groups.link instead of the groups) is refused, not read as "no groups"', async () => {
      const link =
        '<saml:AttributeStatement><saml:Attribute Name="http://schemas.microsoft.com/claims/groups.link"><saml:AttributeValue>https://graph.windows.net/tenant/users/mallory/getMemberObjects</saml:AttributeValue></saml:Attribute></saml:AttributeStatement>';
      await refused(signed({ attributes: link }), /groups overage/);
    });
    it("groupsAttribute naming an attribute's FriendlyName (isMemberOf) instead of its Name is not silently read as no groups", async () => {
      trigger = { issuer: IDP, audiences: [SP], saml: { certificates: [certPem], groupsAttribute: 'isMemberOf' } };
      await refused(
        signed({
          attributes:
            '<saml:AttributeStatement><saml:Attribute Name="urn:oid:1.3.6.1.4.1.5923.1.5.1.1" FriendlyName="isMemberOf"><saml:AttributeValue>contractors</saml:AttributeValue></saml:Attribute></saml:AttributeStatement>',
        }),
        /FriendlyName/,
      );
    });
    it('the groups attribute split over two AttributeStatements is refused (regression)', async () => {
      await refused(signed({ attributes: groupsAttr('eng') + groupsAttr('contractors') }), /appears more than once/);
    });
    it('entity references and CDATA in group names are read as the IdP meant them; surrounding whitespace is no part of a name', async () => {
      const claims = await accepted(
        signed({ attributes: groupsAttr('&#x61;gentgate:approvers', '<![CDATA[r&d]]>', ' eng ') }),
      );
      expect(claims.triggered_by_groups).to.deep.equal(['agentgate:approvers', 'r&d', 'eng']);
    });
    it('an AttributeValue holding markup (a nested element) is refused (regression)', async () => {
      await refused(
        signed({
          attributes: `<saml:AttributeStatement><saml:Attribute Name="${GROUPS}"><saml:AttributeValue><g>dba</g></saml:AttributeValue></saml:Attribute></saml:AttributeStatement>`,
        }),
        /must be text only/,
      );
    });
  });

  describe('subject confirmation and conditions', () => {
    it('ProxyRestriction Count="0" forbids issuing tokens on the strength of this assertion: refused', async () => {
      await refused(signed({ conditionsExtra: '<saml:ProxyRestriction Count="0"/>' }), /ProxyRestriction/);
    });
    it('OneTimeUse, and a ProxyRestriction that allows one more hop, are accepted (the replay cache makes every assertion one-time)', async () => {
      await accepted(signed({ conditionsExtra: '<saml:OneTimeUse/>' }));
      await accepted(signed({ conditionsExtra: '<saml:ProxyRestriction Count="1"/>' }));
    });
    it('a bearer confirmation with two SubjectConfirmationData (one for us, one for elsewhere) is refused (regression)', async () => {
      const until = new Date(Date.now() + 300_000).toISOString();
      await refused(
        signed({
          confirmations: `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="${until}" Recipient="https://elsewhere.example/acs"/><saml:SubjectConfirmationData NotOnOrAfter="${until}" Recipient="${ex.url}/token"/></saml:SubjectConfirmation>`,
        }),
        /no single SubjectConfirmationData/,
      );
    });
    it('a holder-of-key confirmation alone is not a bearer one (regression)', async () => {
      const until = new Date(Date.now() + 300_000).toISOString();
      await refused(
        signed({
          confirmations: `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:holder-of-key"><saml:SubjectConfirmationData NotOnOrAfter="${until}" Recipient="${ex.url}/token"/></saml:SubjectConfirmation>`,
        }),
        /no bearer SubjectConfirmation/,
      );
    });
  });

  describe('tampering beyond XSW1–8 (regressions)', () => {
    it('redeclaring the saml prefix to another namespace on the NameID breaks the signature or the shape', async () => {
      const xml = signed({ nameId: 'mallory@example.com' });
      await refused(xml.replace('<saml:NameID ', '<saml:NameID xmlns:saml="urn:evil" '), /does not verify|no NameID/);
    });
    it('a redundant redeclaration (same namespace) changes nothing the signature covers: same person', async () => {
      const xml = signed({ nameId: 'mallory@example.com' });
      expect(
        (
          await accepted(
            xml.replace('<saml:NameID ', '<saml:NameID xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" '),
          )
        ).sub,
      ).to.equal('mallory@example.com');
    });
    it('xml:base or an xmlns default slipped onto a signed element breaks the signature', async () => {
      await refused(
        signed().replace('<saml:Subject>', '<saml:Subject xml:base="https://evil.example/">'),
        /does not verify/,
      );
      await refused(signed().replace('<saml:Subject>', '<saml:Subject xmlns="urn:evil"><x/>'), /does not verify/);
    });
    it('the name re-encoded (character reference, CDATA) is the same signed name, not another', async () => {
      const xml = signed({ nameId: 'mallory@example.com' });
      expect((await accepted(xml.replace('>mallory@example.com<', '>&#109;allory@example.com<'))).sub).to.equal(
        'mallory@example.com',
      );
      expect(
        (
          await accepted(
            signed({ nameId: 'mallory@example.com' }).replace(
              '>mallory@example.com<',
              '><![CDATA[mallory@example.com]]><',
            ),
          )
        ).sub,
      ).to.equal('mallory@example.com');
    });
    it("an ID attribute in a foreign namespace that repeats the assertion's ID is refused", async () => {
      const id = `_${randomUUID()}`;
      await refused(
        signed({ id }).replace('<saml:Issuer>', `<saml:Issuer xmlns:x="urn:x" x:ID="${id}">`),
        /duplicate ID/,
      );
    });
    it('a deeply nested document (thousands of levels inside the 64 KiB body) is a clean refusal, not a stack overflow', async () => {
      const n = 6000;
      await refused(
        signed().replace('</saml:Assertion>', `${'<a>'.repeat(n)}${'</a>'.repeat(n)}</saml:Assertion>`),
        /nests elements more than 64 deep/,
      );
    });
    it('a second assertion whose namespace is redeclared away from SAML still counts as a second Assertion', async () => {
      const a = signed();
      await refused(
        `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>${a}<Assertion xmlns="urn:not-saml"/></samlp:Response>`,
        /2 Assertion elements/,
      );
    });
  });
});
