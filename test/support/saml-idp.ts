/**
 * A real SAML IdP for tests: samlify acting as IdP, with its own RSA key and self-signed certificate,
 * issuing signed Responses (assertion signed; the Response too when asked) to agentgate as SP.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { newKeyPair } from './self-signed.js';

// Loaded untyped: @xmldom/xmldom's typings pull the DOM lib into the whole program.

export const xmldom = createRequire(import.meta.url)('@xmldom/xmldom') as {
  DOMParser: new () => { parseFromString(xml: string, type: string): any };
  XMLSerializer: new () => { serializeToString(n: any): string };
};

// samlify too (its typings reference the DOM lib as well).

const samlify = createRequire(import.meta.url)('samlify') as any;

export interface SamlIssue {
  nameId?: string;
  nameIdFormat?: string;
  groups?: string[];
  attributes?: Record<string, string[]>;
  /** Seconds the assertion is valid for (Conditions and the bearer confirmation). */
  lifetimeSeconds?: number;
  /** Clock for IssueInstant/NotBefore, in milliseconds. */
  now?: number;
  recipient?: string;
  audience?: string;
}

export interface SamlTestIdp {
  entityId: string;
  certPem: string;
  keyPem: string;
  metadata: string;
  /** A signed Response (the assertion signed; the Response too unless `assertionOnly`). */
  response(o?: SamlIssue, sign?: { assertion?: boolean; response?: boolean }): Promise<string>;
  /** The signed assertion alone (what RFC 8693's saml2 token type carries). */
  assertion(o?: SamlIssue): Promise<string>;
}

const xmlEscape = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function startSamlIdp(o: { entityId: string; spEntityId: string; acsUrl: string }): SamlTestIdp {
  const dir = mkdtempSync(join(tmpdir(), 'agentgate-saml-idp-'));
  const { keyPem, certPem } = newKeyPair(dir, 'idp');
  const idp = samlify.IdentityProvider({
    entityID: o.entityId,
    privateKey: keyPem,
    signingCert: certPem,
    isAssertionEncrypted: false,
    singleSignOnService: [{ Binding: samlify.Constants.namespace.binding.post, Location: `${o.entityId}/sso` }],
    singleLogoutService: [{ Binding: samlify.Constants.namespace.binding.post, Location: `${o.entityId}/slo` }],
  });
  const spFor = (sign: { assertion?: boolean; response?: boolean }) =>
    samlify.ServiceProvider({
      entityID: o.spEntityId,
      wantAssertionsSigned: sign.assertion !== false,
      wantMessageSigned: sign.response === true,
      assertionConsumerService: [{ Binding: samlify.Constants.namespace.binding.post, Location: o.acsUrl }],
    });

  const response = async (
    i: SamlIssue = {},
    sign: { assertion?: boolean; response?: boolean } = {},
  ): Promise<string> => {
    const now = new Date(i.now ?? Date.now());
    const until = new Date(now.getTime() + (i.lifetimeSeconds ?? 300) * 1000);
    const attrs: Record<string, string[]> = { ...(i.attributes ?? {}), ...(i.groups ? { groups: i.groups } : {}) };
    const attributeStatement = Object.keys(attrs).length
      ? `<saml:AttributeStatement>${Object.entries(attrs)
          .map(
            ([name, values]) =>
              `<saml:Attribute Name="${xmlEscape(name)}">${values.map((v) => `<saml:AttributeValue xsi:type="xs:string">${xmlEscape(v)}</saml:AttributeValue>`).join('')}</saml:Attribute>`,
          )
          .join('')}</saml:AttributeStatement>`
      : '';
    const context =
      `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_${randomUUID()}" Version="2.0" IssueInstant="${now.toISOString()}" Destination="${xmlEscape(o.acsUrl)}"><saml:Issuer>${xmlEscape(o.entityId)}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
      `<saml:Assertion xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_${randomUUID()}" Version="2.0" IssueInstant="${now.toISOString()}"><saml:Issuer>${xmlEscape(o.entityId)}</saml:Issuer>` +
      `<saml:Subject><saml:NameID Format="${i.nameIdFormat ?? 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress'}">${xmlEscape(i.nameId ?? 'alice@example.com')}</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="${until.toISOString()}" Recipient="${xmlEscape(i.recipient ?? o.acsUrl)}"/></saml:SubjectConfirmation></saml:Subject>` +
      `<saml:Conditions NotBefore="${now.toISOString()}" NotOnOrAfter="${until.toISOString()}"><saml:AudienceRestriction><saml:Audience>${xmlEscape(i.audience ?? o.spEntityId)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
      `<saml:AuthnStatement AuthnInstant="${now.toISOString()}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>${attributeStatement}</saml:Assertion></samlp:Response>`;
    const r = await idp.createLoginResponse(spFor(sign), {}, 'post', {}, () => ({ id: 'x', context }));
    return Buffer.from(r.context, 'base64').toString('utf8');
  };
  return {
    entityId: o.entityId,
    certPem,
    keyPem,
    metadata: idp.getMetadata(),
    response,
    async assertion(i: SamlIssue = {}): Promise<string> {
      const doc = new xmldom.DOMParser().parseFromString(await response(i), 'text/xml');
      const a = doc.getElementsByTagNameNS('urn:oasis:names:tc:SAML:2.0:assertion', 'Assertion')[0]!;
      return new xmldom.XMLSerializer().serializeToString(a);
    },
  };
}

export const b64url = (xml: string): string => Buffer.from(xml, 'utf8').toString('base64url');
