/**
 * SAML assertions as the token exchange's subject: a real IdP (samlify) signs them, the operator's real
 * RFC 8693 router verifies them over HTTP on 127.0.0.1. Every known XML-signature-wrapping shape
 * (XSW1–8), comments inside the NameID, duplicate IDs, an unsigned assertion inside a signed Response,
 * a stripped or foreign signature, and every condition of the assertion is refused with `invalid_grant`
 * and a reason.
 */
import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as jose from 'jose';
import { runTokenExchange, subjectTokenValue } from '../../cli/commands/token-exchange.js';
import { ReplayCache } from '../../operator/identity/replay-cache.js';
import { MetadataCache } from '../../operator/identity/saml-metadata.js';
import { metadataUrlError } from '../../shared/contract/saml-trigger.js';
import { SAML2_TOKEN_TYPE } from '../../operator/identity/saml-subject.js';
import type { AgentAccessPolicy, TriggerIssuerSpec } from '../../shared/contract/policy-types.js';
import { validatePolicy } from '../../shared/contract/validate-policy.js';
import { startExchange, type ExchangeHarness } from '../support/exchange-harness.js';
import { b64url, startSamlIdp, xmldom, type SamlTestIdp } from '../support/saml-idp.js';

const SAML_NS = 'urn:oasis:names:tc:SAML:2.0:assertion';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const IDP = 'https://idp.example/saml';
const SP = 'https://agentgate.example/sp';

type Dom = any;
const parse = (xml: string): Dom => new xmldom.DOMParser().parseFromString(xml, 'text/xml');
const serialize = (n: Dom): string => new xmldom.XMLSerializer().serializeToString(n);
const first = (n: Dom, ns: string, local: string): Dom => n.getElementsByTagNameNS(ns, local)[0];

describe('SAML subject tokens at the token exchange (saml15)', function () {
  this.timeout(60_000);
  const dir = mkdtempSync(join(tmpdir(), 'agentgate-saml15-'));
  let idp: SamlTestIdp;
  let evilIdp: SamlTestIdp;
  let ex: ExchangeHarness;
  let clock = Date.now();
  let trigger: TriggerIssuerSpec;
  const replay = new ReplayCache(1000, () => clock);
  const policy = (): AgentAccessPolicy => ({
    apiVersion: 'agentgate.dev/v1alpha1',
    kind: 'AgentAccessPolicy',
    metadata: { name: 'billing-agent', namespace: 'agents' },
    spec: {
      mode: 'Enforce',
      subjects: { serviceAccounts: [{ name: 'billing-agent' }] },
      identity: { issuers: [], maxTokenLifetimeSeconds: 900, triggerIssuers: [trigger] },
      targets: [],
      defaultAction: 'Deny',
    },
  });
  const acs = (): string => `${ex.url}/token`;
  const refused = async (xml: string, reason: RegExp): Promise<void> => {
    const r = await ex.exchange(b64url(xml), SAML2_TOKEN_TYPE);
    expect(r.body.error, JSON.stringify(r.body)).to.equal('invalid_grant');
    expect(r.status).to.equal(400);
    expect(r.body.error_description).to.match(reason);
  };
  const accepted = async (xml: string): Promise<Record<string, unknown>> => {
    const r = await ex.exchange(b64url(xml), SAML2_TOKEN_TYPE);
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    return jose.decodeJwt(r.body.access_token!);
  };

  before(async () => {
    ex = await startExchange({ policy, dir, now: () => clock, replay });
    idp = startSamlIdp({ entityId: IDP, spEntityId: SP, acsUrl: acs() });
    evilIdp = startSamlIdp({ entityId: IDP, spEntityId: SP, acsUrl: acs() });
    trigger = { issuer: IDP, audiences: [SP], saml: { certificates: [idp.certPem], groupsAttribute: 'groups' } };
  });
  beforeEach(() => {
    clock = Date.now();
    trigger = { issuer: IDP, audiences: [SP], saml: { certificates: [idp.certPem], groupsAttribute: 'groups' } };
  });
  after(() => ex?.close());

  describe('accepted', () => {
    it('a signed assertion from samlify: the run token names the person, the IdP, the groups, and lives no longer than the assertion', async () => {
      const claims = await accepted(
        await idp.assertion({ nameId: 'alice@example.com', groups: ['dba', 'eng'], lifetimeSeconds: 120 }),
      );
      expect(claims).to.include({
        sub: 'alice@example.com',
        triggered_by_iss: IDP,
        triggered_by_email: 'alice@example.com',
      });
      expect(claims.triggered_by_groups).to.deep.equal(['dba', 'eng']);
      expect((claims.exp as number) - Math.floor(clock / 1000)).to.be.at.most(121);
    });
    it('a whole Response (assertion and Response signed) is accepted too', async () => {
      await accepted(await idp.response({}, { assertion: true, response: true }));
    });
    it("the IdP's metadata file instead of inline certificates; nameAttribute names the person", async () => {
      const file = join(dir, 'idp-metadata.xml');
      writeFileSync(file, idp.metadata);
      trigger = { issuer: IDP, audiences: [SP], saml: { metadataFile: file, nameAttribute: 'uid' } };
      const claims = await accepted(
        await idp.assertion({
          nameId: 'opaque-123',
          nameIdFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
          attributes: { uid: ['alice'] },
        }),
      );
      expect(claims.sub).to.equal('alice');
      expect(claims).to.not.have.property('triggered_by_groups');
    });
  });

  describe('IdP metadata from a URL', () => {
    it("the signing certificate comes from the IdP's metadata URL; a fetch that fails with nothing kept refuses", async () => {
      const server = http.createServer((req, res) =>
        req.url === '/metadata' ? res.end(idp.metadata) : ((res.statusCode = 404), res.end()),
      );
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      try {
        trigger = { issuer: IDP, audiences: [SP], saml: { metadataUrl: `${base}/metadata` } };
        await accepted(await idp.assertion());
        trigger = { issuer: IDP, audiences: [SP], saml: { metadataUrl: `${base}/missing` } };
        await refused(await idp.assertion(), /cannot fetch IdP metadata from .*HTTP 404/);
      } finally {
        server.close();
      }
    });
    it('kept ten minutes; a failed refresh serves the last good copy for a day and is retried at most every 30 s', async () => {
      let now = 0;
      let calls = 0;
      let up = true;
      const cache = new MetadataCache(
        async () => {
          calls++;
          if (!up) throw new Error('down');
          return `v${calls}`;
        },
        () => now,
      );
      expect(await cache.text('https://idp/m')).to.equal('v1');
      now = 9 * 60_000;
      expect(await cache.text('https://idp/m')).to.equal('v1');
      now = 11 * 60_000;
      up = false;
      expect(await cache.text('https://idp/m')).to.equal('v1');
      expect(await cache.text('https://idp/m')).to.equal('v1');
      expect(calls).to.equal(2);
      now = 25 * 3600_000;
      await cache.text('https://idp/m').then(
        () => expect.fail('stale metadata served'),
        (e: Error) => expect(e.message).to.contain('down'),
      );
      expect(metadataUrlError('http://idp.example/metadata')).to.contain('must be https');
      expect(metadataUrlError('https://idp.example/metadata')).to.equal(undefined);
    });
  });

  describe('signature', () => {
    it('an unsigned assertion inside a signed Response is refused', async () => {
      await refused(await idp.response({}, { assertion: false, response: true }), /assertion itself is not signed/);
    });
    it('a stripped signature is refused', async () => {
      const doc = parse(await idp.assertion());
      const sig = first(doc, DS, 'Signature');
      sig.parentNode.removeChild(sig);
      await refused(serialize(doc), /assertion itself is not signed/);
    });
    it('an assertion signed by another key (its own certificate in KeyInfo) is refused', async () => {
      await refused(
        await evilIdp.assertion({ nameId: 'admin@example.com' }),
        /does not verify with the certificates configured/,
      );
    });
    it('a value changed after signing is refused', async () => {
      const doc = parse(await idp.assertion({ nameId: 'bob@example.com' }));
      first(doc, SAML_NS, 'NameID').firstChild.data = 'admin@example.com';
      await refused(serialize(doc), /does not verify/);
    });
    it('SHA-1 and a second Reference are refused', async () => {
      const xml = await idp.assertion();
      await refused(
        xml
          .replace('xmldsig-more#rsa-sha256', 'xmldsig#rsa-sha1')
          .replace('http://www.w3.org/2001/04/xmldsig-more#rsa-sha1', 'http://www.w3.org/2000/09/xmldsig#rsa-sha1'),
        /signature algorithm .* is not accepted/,
      );
      const doc = parse(xml);
      const ref = first(doc, DS, 'Reference');
      ref.parentNode.appendChild(ref.cloneNode(true));
      await refused(serialize(doc), /exactly one Reference/);
    });
  });

  describe('XML signature wrapping (XSW1–8)', () => {
    // Each variant starts from a genuine Response of bob (assertion and Response signed) and forges
    // admin, keeping the signed original somewhere a careless verifier would still find it.
    const forge = async (): Promise<{ doc: Dom; response: Dom; assertion: Dom; evil: () => Dom }> => {
      const doc = parse(await idp.response({ nameId: 'bob@example.com' }, { assertion: true, response: true }));
      const response = doc.documentElement;
      const assertion = first(doc, SAML_NS, 'Assertion');
      const evil = (): Dom => {
        const e = assertion.cloneNode(true);
        const s = first(e, DS, 'Signature');
        if (s) e.removeChild(s);
        e.setAttribute('ID', '_evil');
        first(e, SAML_NS, 'NameID').firstChild.data = 'admin@example.com';
        return e;
      };
      return { doc, response, assertion, evil };
    };
    const stripSig = (n: Dom): Dom => {
      const s = Array.from(n.childNodes as ArrayLike<Dom>).find((c: Dom) => c.localName === 'Signature');
      if (s) n.removeChild(s);
      return n;
    };

    it('XSW1: a forged Response, the signed original inside its Signature', async () => {
      const { doc, response } = await forge();
      const original = response.cloneNode(true);
      const sig = Array.from(response.childNodes as ArrayLike<Dom>).find((c: Dom) => c.localName === 'Signature');
      response.setAttribute('ID', '_evil-response');
      const forgedAssertion = first(response, SAML_NS, 'Assertion');
      first(forgedAssertion, SAML_NS, 'NameID').firstChild.data = 'admin@example.com';
      sig.appendChild(original);
      await refused(serialize(doc), /Assertion elements; exactly one is accepted/);
    });
    it('XSW2: a forged Response, the signed original beside its Signature', async () => {
      const { doc, response } = await forge();
      const original = response.cloneNode(true);
      const sig = Array.from(response.childNodes as ArrayLike<Dom>).find((c: Dom) => c.localName === 'Signature');
      response.setAttribute('ID', '_evil-response');
      response.insertBefore(original, sig);
      await refused(serialize(doc), /Assertion elements; exactly one is accepted/);
    });
    it('XSW3: a forged assertion before the signed one', async () => {
      const { doc, response, assertion, evil } = await forge();
      response.insertBefore(evil(), assertion);
      await refused(serialize(doc), /Assertion elements; exactly one is accepted/);
    });
    it('XSW4: a forged assertion wrapping the signed one', async () => {
      const { doc, response, assertion, evil } = await forge();
      const e = evil();
      response.replaceChild(e, assertion);
      e.appendChild(assertion);
      await refused(serialize(doc), /Assertion elements; exactly one is accepted/);
    });
    it('XSW5: the signed assertion forged in place, an unsigned copy of the original appended', async () => {
      const { doc, response, assertion } = await forge();
      const copy = stripSig(assertion.cloneNode(true));
      first(assertion, SAML_NS, 'NameID').firstChild.data = 'admin@example.com';
      response.appendChild(copy);
      await refused(serialize(doc), /Assertion elements; exactly one is accepted/);
    });
    it('XSW6: the signed assertion forged in place, the original inside its Signature', async () => {
      const { doc, assertion } = await forge();
      const copy = stripSig(assertion.cloneNode(true));
      first(assertion, SAML_NS, 'NameID').firstChild.data = 'admin@example.com';
      first(assertion, DS, 'Signature').appendChild(copy);
      await refused(serialize(doc), /Assertion elements; exactly one is accepted/);
    });
    it('XSW7: the signed original inside an Extensions element, the forged assertion outside', async () => {
      const { doc, response, assertion, evil } = await forge();
      const ext = doc.createElementNS('urn:oasis:names:tc:SAML:2.0:protocol', 'samlp:Extensions');
      response.replaceChild(ext, assertion);
      ext.appendChild(assertion);
      const e = evil();
      e.setAttribute('ID', assertion.getAttribute('ID'));
      response.appendChild(e);
      await refused(serialize(doc), /duplicate ID|Assertion elements; exactly one is accepted/);
    });
    it('XSW8: the forged assertion keeps the Signature, the original sits in a ds:Object inside it', async () => {
      const { doc, assertion } = await forge();
      const copy = stripSig(assertion.cloneNode(true));
      first(assertion, SAML_NS, 'NameID').firstChild.data = 'admin@example.com';
      const obj = doc.createElementNS(DS, 'ds:Object');
      obj.appendChild(copy);
      first(assertion, DS, 'Signature').appendChild(obj);
      await refused(serialize(doc), /Assertion elements; exactly one is accepted/);
    });
    it('a bare assertion wrapped in a foreign element, and an assertion moved out of the SAML namespace', async () => {
      const a = await idp.assertion();
      await refused(
        `<x:Envelope xmlns:x="urn:evil">${a}</x:Envelope>`,
        /alone or as a direct child of a samlp:Response/,
      );
      await refused(a.replaceAll('urn:oasis:names:tc:SAML:2.0:assertion', 'urn:evil'), /not in the SAML 2.0 namespace/);
    });
  });

  describe('document tricks', () => {
    it('a comment inside the NameID (alice@example.com<!---->.evil.com) is refused', async () => {
      const xml = await idp.assertion({ nameId: 'alice@example.com.evil.com' });
      await refused(
        xml.replace('alice@example.com.evil.com', 'alice@example.com<!---->.evil.com'),
        /XML comments are not accepted/,
      );
    });
    it('duplicate IDs are refused', async () => {
      const doc = parse(await idp.response({}, { assertion: true, response: true }));
      const id = first(doc, SAML_NS, 'Assertion').getAttribute('ID');
      first(doc, 'urn:oasis:names:tc:SAML:2.0:protocol', 'Status').setAttribute('ID', id);
      await refused(serialize(doc), /duplicate ID/);
    });
    it('a DOCTYPE (entity expansion, DTD-declared IDs) is refused', async () => {
      const a = await idp.assertion();
      await refused(`<!DOCTYPE x [<!ENTITY e "admin">]>${a}`, /DOCTYPE/);
    });
    it('a repeated subject_token or subject_token_type is a bad request, not a crash', async () => {
      const actor = await ex.actorToken();
      const body = `grant_type=${encodeURIComponent('urn:ietf:params:oauth:grant-type:token-exchange')}&subject_token=a&subject_token=b&subject_token_type=${encodeURIComponent(SAML2_TOKEN_TYPE)}&actor_token=${actor}`;
      const res = await fetch(`${ex.url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
      expect(res.status).to.equal(400);
      expect(await res.json()).to.deep.include({
        error: 'invalid_request',
        error_description: 'subject_token must be given once, as a string',
      });
    });
    it('a subject token that is not base64url, or not XML, is refused', async () => {
      const r = await ex.exchange('<saml:Assertion/>', SAML2_TOKEN_TYPE);
      expect(r.body).to.include({ error: 'invalid_grant' });
      expect(r.body.error_description).to.match(/not base64url/);
      await refused('not xml at all <', /not well-formed|no Assertion/);
    });
  });

  describe('conditions', () => {
    it('issuer, audience and Recipient must be ours', async () => {
      trigger = { ...trigger, issuer: 'https://other-idp.example' };
      await refused(await idp.assertion(), /not a SAML trigger issuer of this policy/);
      trigger = { issuer: IDP, audiences: [SP], saml: { certificates: [idp.certPem] } };
      await refused(
        await idp.assertion({ audience: 'https://another-sp.example' }),
        /audience .* is not https:\/\/agentgate.example\/sp/,
      );
      await refused(
        await idp.assertion({ recipient: 'https://another-sp.example/acs' }),
        /Recipient "https:\/\/another-sp.example\/acs" is not/,
      );
    });
    it('NotBefore and NotOnOrAfter hold, with the configured clock skew (injected clock)', async () => {
      const xml = await idp.assertion({ lifetimeSeconds: 300 });
      clock = Date.now() + 301_000 + 60_000;
      await refused(xml, /expired \(Conditions NotOnOrAfter\)/);
      clock = Date.now() - 61_000;
      await refused(xml, /IssueInstant is in the future|not yet valid/);
      trigger = { ...trigger, saml: { ...trigger.saml!, clockSkewSeconds: 120 } };
      await accepted(xml);
    });
    it('an assertion the exchange accepts within the skew still gives no run token past its NotOnOrAfter', async () => {
      const xml = await idp.assertion({ lifetimeSeconds: 30 });
      clock = Date.now() + 45_000;
      await refused(xml, /an input token has expired/);
    });
    it('an assertion valid for more than an hour is refused', async () => {
      await refused(await idp.assertion({ lifetimeSeconds: 7200 }), /valid for 7200s, more than the 3600s accepted/);
    });
    it('a replayed assertion is refused, for as long as it lives', async () => {
      const xml = await idp.assertion({ lifetimeSeconds: 120 });
      await accepted(xml);
      await refused(xml, /already exchanged \(replay\)/);
      clock += 60_000;
      await refused(xml, /already exchanged \(replay\)/);
    });
    it('attributes the issuer does not name are not read (IdPs send empty ones); empty group values carry nothing', async () => {
      const claims = await accepted(
        await idp.assertion({ groups: ['dba', ''], attributes: { department: [''], title: ['  '] } }),
      );
      expect(claims.triggered_by_groups).to.deep.equal(['dba']);
    });
    it('a group name longer than the run token carries is refused', async () => {
      await refused(
        await idp.assertion({ groups: ['x'.repeat(257)] }),
        /attribute groups must be a list of group names \(1-256 characters each\)/,
      );
    });
    it('too many groups are refused, not cut (a rule may deny by group)', async () => {
      await refused(await idp.assertion({ groups: Array.from({ length: 300 }, (_, i) => `g${i}`) }), /more than 256/);
    });
  });

  describe('the CLI', () => {
    it('sends a SAML assertion base64url whether the file holds XML, base64 or base64url; refuses plain HTTP off this machine', async () => {
      const xml = '<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a?>"/>';
      const url = Buffer.from(xml).toString('base64url');
      expect(subjectTokenValue(`${xml}\n`, 'saml2')).to.equal(url);
      expect(subjectTokenValue(Buffer.from(xml).toString('base64'), 'saml2')).to.equal(url);
      expect(subjectTokenValue(url, 'saml2')).to.equal(url);
      expect(subjectTokenValue(' eyJ.a.b ', 'id_token')).to.equal('eyJ.a.b');
      const code = await runTokenExchange({ url: 'http://operator.example', subjectToken: 'x', actorToken: 'y' });
      expect(code).to.equal(1);
    });
  });

  describe('the replay cache', () => {
    it('is bounded: when full of live entries it refuses new ones; expired entries make room', () => {
      let now = 0;
      const c = new ReplayCache(2, () => now);
      expect(c.claim('a', 100)).to.equal(true);
      expect(c.claim('a', 100)).to.equal(false);
      expect(c.claim('b', 200)).to.equal(true);
      expect(c.claim('c', 300)).to.equal(false);
      now = 150;
      expect(c.claim('c', 300)).to.equal(true);
      expect(c.size).to.equal(2);
    });
  });

  describe('policy', () => {
    const doc = (t: unknown): unknown => ({
      ...policy(),
      spec: {
        ...policy().spec,
        identity: {
          issuers: [{ issuer: 'https://i.example', audiences: ['agentgate'], jwksFile: 'x' }],
          maxTokenLifetimeSeconds: 900,
          triggerIssuers: [t],
        },
        targets: [
          {
            name: 'db',
            protocol: 'postgres',
            listen: '127.0.0.1:15432',
            upstream: { host: 'h', port: 5432, database: 'd', user: 'u', sslMode: 'disable' },
            credentials: { passwordEnv: 'P' },
          },
        ],
      },
    });
    it('a SAML trigger issuer validates; one with both jwksUri and saml, a bad certificate, or groupsClaim does not', () => {
      validatePolicy(
        doc({
          issuer: IDP,
          audiences: [SP],
          saml: { certificates: [idp.certPem], groupsAttribute: 'groups', clockSkewSeconds: 30 },
        }),
      );
      expect(() =>
        validatePolicy(
          doc({ issuer: IDP, audiences: [SP], jwksUri: 'https://x', saml: { certificates: [idp.certPem] } }),
        ),
      ).to.throw(/exactly one of jwksFile, jwksUri or saml/);
      expect(() =>
        validatePolicy(doc({ issuer: IDP, audiences: [SP], saml: { certificates: ['bm90IGEgY2VydA=='] } })),
      ).to.throw(/not an X.509 certificate/);
      expect(() =>
        validatePolicy(
          doc({ issuer: IDP, audiences: [SP], groupsClaim: 'groups', saml: { certificates: [idp.certPem] } }),
        ),
      ).to.throw(/saml.groupsAttribute/);
      expect(() =>
        validatePolicy(
          doc({ issuer: IDP, audiences: [SP], saml: { certificates: [idp.certPem], clockSkewSeconds: 3600 } }),
        ),
      ).to.throw(/clockSkewSeconds/);
      const twice = doc({ issuer: IDP, audiences: [SP], saml: { certificates: [idp.certPem] } }) as AgentAccessPolicy;
      twice.spec.identity.triggerIssuers!.push({
        issuer: IDP,
        audiences: [SP],
        saml: { certificates: [evilIdp.certPem] },
      });
      expect(() => validatePolicy(twice)).to.throw(/another SAML trigger issuer has entity ID/);
    });
  });
});
