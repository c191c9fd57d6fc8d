/**
 * A SAML 2.0 assertion as the subject of the token exchange (RFC 8693 token type saml2, base64url of
 * the assertion; a Response holding exactly one assertion is accepted too). The signature is checked
 * with @node-saml/node-saml (xml-crypto underneath) and must be on the assertion itself; every value
 * (issuer, subject, conditions, attributes) is then read from the XML the signature covers, never from
 * the document as received. Around that, the shapes XML signature wrapping needs are refused outright:
 * more than one Assertion element anywhere, a signature not directly inside the assertion or covering
 * anything else, duplicate IDs, comments, DTDs, Advice, ds:Object.
 */
import { readFileSync } from 'node:fs';
import { getVerifiedXml, parseDomFromString } from '@node-saml/node-saml/lib/xml.js';
import { certificatePem } from '../../shared/contract/saml-trigger.js';
import type { TriggerIssuerSpec } from '../../shared/contract/policy-types.js';
import { checkedGroups } from './person-groups.js';
import type { MetadataCache } from './saml-metadata.js';
import type { ReplayGuard } from './shared-replay.js';

/** The slice of the W3C DOM (as @xmldom/xmldom implements it) read here; the project has no DOM lib. */
interface Node {
  nodeType: number;
  nodeValue: string | null;
  firstChild: Node | null;
  nextSibling: Node | null;
  parentNode: Node | null;
}
interface Element extends Node {
  localName: string | null;
  namespaceURI: string | null;
  attributes: { length: number; item(i: number): { name: string; localName: string | null; value: string } | null };
  getAttribute(name: string): string | null;
}
interface Document extends Node {
  documentElement: Element | null;
}
interface ProcessingInstruction extends Node {
  target: string;
}
const parseXml = (xml: string): Promise<Document> => parseDomFromString(xml) as unknown as Promise<Document>;
const verifiedXml = getVerifiedXml as unknown as (xml: string, node: Element, certs: string[]) => string | null;

export const SAML2_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:saml2';
/** An IdP assertion is consumed at once: one valid for longer than this is refused (and bounds the replay cache). */
export const MAX_ASSERTION_LIFETIME_SECONDS = 3600;
export const DEFAULT_CLOCK_SKEW_SECONDS = 60;
const MAX_VALUE_CHARS = 512;
const MAX_DEPTH = 64;

const NS = {
  saml: 'urn:oasis:names:tc:SAML:2.0:assertion',
  samlp: 'urn:oasis:names:tc:SAML:2.0:protocol',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
  md: 'urn:oasis:names:tc:SAML:2.0:metadata',
};
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const ENTITY_FORMAT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:entity';
const EMAIL_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
// A person asks for the NameID format in the AuthnRequest: these two never name them.
const NOT_A_PERSON_FORMATS = new Set(['urn:oasis:names:tc:SAML:2.0:nameid-format:transient', ENTITY_FORMAT]);
// Entra ID sends this instead of the groups when a person is in too many of them.
const GROUPS_OVERAGE_ATTRIBUTE = 'http://schemas.microsoft.com/claims/groups.link';
// SHA-1 is refused for signatures and digests alike.
const SIGNATURE_METHODS = new Set([
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
]);
const DIGEST_METHODS = new Set(['http://www.w3.org/2001/04/xmlenc#sha256', 'http://www.w3.org/2001/04/xmlenc#sha512']);
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const TRANSFORMS = new Set(['http://www.w3.org/2000/09/xmldsig#enveloped-signature', EXC_C14N]);
const ID_ATTRIBUTES = new Set(['ID', 'Id', 'id', 'AssertionID', 'xml:id']);

export class SamlSubjectError extends Error {}

export interface SamlPerson {
  iss: string;
  sub: string;
  email?: string;
  groups?: string[];
  /** Seconds: the earliest of the assertion's and the bearer confirmation's NotOnOrAfter. */
  exp: number;
  assertionId: string;
}

export interface SamlVerifyOptions {
  /** The policy's trigger issuers; only those with `saml` are considered. */
  triggerIssuers: TriggerIssuerSpec[];
  /** Recipient the bearer confirmation must name when the issuer does not set one (the token endpoint). */
  defaultRecipient: string;
  /** Assertion IDs already exchanged: this process's cache, and the cluster's record shared by replicas and restarts. */
  replay: ReplayGuard;
  /** Milliseconds. */
  now: () => number;
  /** Reads metadataFile paths. */
  readFile?: (path: string) => string;
  /** Fetches (and keeps) metadataUrl documents. */
  metadata?: MetadataCache;
}

const fail = (reason: string): never => {
  throw new SamlSubjectError(`SAML assertion refused: ${reason}`);
};

/** Decodes the subject token (base64url per RFC 8693; standard base64 is accepted) to XML text. */
export function decodeSamlToken(token: string): string {
  const t = token.trim();
  if (!t || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(t)) fail('subject_token is not base64url');
  let xml: string;
  try {
    xml = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(t, 'base64'));
  } catch {
    return fail('subject_token does not decode to UTF-8 text');
  }
  return xml.replace(/\r\n?/g, '\n');
}

export async function verifySamlSubject(token: string, o: SamlVerifyOptions): Promise<SamlPerson> {
  const xml = decodeSamlToken(token);
  // No DTD: entity expansion and DTD-declared ID attributes are ways to make parsers disagree.
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) fail('a DOCTYPE or ENTITY declaration is not accepted');
  let doc: Document;
  try {
    doc = await parseXml(xml);
  } catch (e) {
    return fail(`not well-formed XML (${(e as Error).message.split('\n')[0]})`);
  }
  const root = doc.documentElement;
  if (!root) return fail('not an XML document');
  refuseHiddenContent(doc);
  // Exactly one Assertion element in the whole document, whatever its namespace: every XSW variant
  // needs a second one (a copy of the signed original, or the forged one beside it).
  const assertions = [root, ...descendants(root, () => true)].filter(
    (e) => e.localName === 'Assertion' || e.localName === 'EncryptedAssertion',
  );
  if (assertions.length !== 1)
    fail(
      assertions.length
        ? `the document holds ${assertions.length} Assertion elements; exactly one is accepted (XML signature wrapping)`
        : 'no Assertion element',
    );
  const assertion = assertions[0]!;
  refuseDuplicateIds(root);
  if (assertion.localName === 'EncryptedAssertion') fail('encrypted assertions are not accepted');
  if (assertion.namespaceURI !== NS.saml)
    fail(`the Assertion is not in the SAML 2.0 namespace (${assertion.namespaceURI ?? 'none'})`);
  if (assertion !== root) {
    if (!(root.namespaceURI === NS.samlp && root.localName === 'Response' && assertion.parentNode === root))
      fail('an assertion is accepted alone or as a direct child of a samlp:Response');
    const status = childElements(root, NS.samlp, 'Status')[0];
    const code = status ? childElements(status, NS.samlp, 'StatusCode')[0]?.getAttribute('Value') : undefined;
    if (code !== SUCCESS) fail(`the Response's status is not Success (${code ?? 'none'})`);
  }
  const id = assertion.getAttribute('ID') ?? '';
  if (!id) fail('the assertion has no ID');

  const trusted = trustedIssuer(assertion, o.triggerIssuers);
  checkSignatureShape(assertion, id);
  const certs = await certificatesOf(trusted, o);
  let signedXml: string | null = null;
  try {
    signedXml = verifiedXml(xml, assertion, certs);
  } catch (e) {
    fail(`signature check failed: ${(e as Error).message}`);
  }
  if (!signedXml)
    fail(`the assertion's signature does not verify with the certificates configured for ${trusted.issuer}`);
  // From here on only the signed bytes are read.
  const signed = (await parseXml(signedXml!)).documentElement;
  if (
    !signed ||
    signed.namespaceURI !== NS.saml ||
    signed.localName !== 'Assertion' ||
    signed.getAttribute('ID') !== id
  )
    fail('the signature does not cover the assertion');
  const { person, replayUntilMs } = readAssertion(signed!, trusted, o);
  // Replay: each assertion ID of this issuer is exchanged once, remembered until it expires.
  let first: boolean;
  try {
    first = await o.replay.claim(`${trusted.issuer}\n${person.assertionId}`, replayUntilMs);
  } catch (e) {
    return fail(`cannot check the assertion for replay: ${(e as Error).message}`);
  }
  if (!first) fail(`assertion ${person.assertionId} was already exchanged (replay)`);
  return person;
}

/** Which trust entry the (not yet verified) Issuer names; the signed Issuer is compared again later. */
function trustedIssuer(
  assertion: Element,
  triggers: TriggerIssuerSpec[],
): TriggerIssuerSpec & { saml: NonNullable<TriggerIssuerSpec['saml']> } {
  const issuer = textOf(exactlyOne(assertion, NS.saml, 'Issuer', 'Issuer'), 'Issuer');
  const t = triggers.find((x) => x.saml && x.issuer === issuer);
  if (!t) fail(`issuer "${issuer.slice(0, 200)}" is not a SAML trigger issuer of this policy`);
  return t as TriggerIssuerSpec & { saml: NonNullable<TriggerIssuerSpec['saml']> };
}

function checkSignatureShape(assertion: Element, id: string): void {
  const all = descendants(assertion, (e) => e.localName === 'Signature');
  const direct = childElements(assertion, NS.ds, 'Signature');
  if (direct.length === 0)
    fail('the assertion itself is not signed (a signature on the Response alone is not accepted)');
  if (all.length !== 1 || direct.length !== 1)
    fail('the assertion must hold exactly one signature, directly inside it');
  const sig = direct[0]!;
  const signedInfo = exactlyOne(sig, NS.ds, 'SignedInfo', 'ds:SignedInfo');
  if (childElements(sig, NS.ds, 'Object').length) fail('a ds:Object inside the signature is not accepted');
  const c14n = exactlyOne(signedInfo, NS.ds, 'CanonicalizationMethod', 'ds:CanonicalizationMethod').getAttribute(
    'Algorithm',
  );
  if (c14n !== EXC_C14N)
    fail(`canonicalization ${c14n ?? 'none'} is not accepted (exclusive c14n without comments only)`);
  const method = exactlyOne(signedInfo, NS.ds, 'SignatureMethod', 'ds:SignatureMethod').getAttribute('Algorithm') ?? '';
  if (!SIGNATURE_METHODS.has(method))
    fail(`signature algorithm ${method || 'none'} is not accepted (RSA with SHA-256 or SHA-512)`);
  const refs = childElements(signedInfo, NS.ds, 'Reference');
  if (refs.length !== 1) fail(`the signature must hold exactly one Reference (it holds ${refs.length})`);
  const ref = refs[0]!;
  if (ref.getAttribute('URI') !== `#${id}`)
    fail(`the signature references "${ref.getAttribute('URI') ?? ''}", not this assertion (#${id})`);
  const digest = exactlyOne(ref, NS.ds, 'DigestMethod', 'ds:DigestMethod').getAttribute('Algorithm') ?? '';
  if (!DIGEST_METHODS.has(digest)) fail(`digest algorithm ${digest || 'none'} is not accepted (SHA-256 or SHA-512)`);
  const transforms = descendants(ref, (e) => e.namespaceURI === NS.ds && e.localName === 'Transform').map(
    (t) => t.getAttribute('Algorithm') ?? '',
  );
  if (transforms.length > 2 || transforms.some((t) => !TRANSFORMS.has(t)))
    fail(
      `signature transforms ${transforms.join(', ')} are not accepted (enveloped-signature and exclusive c14n only)`,
    );
}

function readAssertion(
  a: Element,
  trusted: TriggerIssuerSpec & { saml: NonNullable<TriggerIssuerSpec['saml']> },
  o: SamlVerifyOptions,
): { person: SamlPerson; replayUntilMs: number } {
  if (a.getAttribute('Version') !== '2.0') fail('the assertion is not SAML 2.0 (Version)');
  if (
    descendants(a, (e) => e.localName === 'Advice' || e.localName === 'EncryptedID' || e.localName === 'BaseID').length
  )
    fail('Advice, EncryptedID and BaseID are not accepted');
  const issuerEl = exactlyOne(a, NS.saml, 'Issuer', 'Issuer');
  const issuer = textOf(issuerEl, 'Issuer');
  if (issuer !== trusted.issuer) fail(`the signed Issuer "${issuer.slice(0, 200)}" is not ${trusted.issuer}`);
  const format = issuerEl.getAttribute('Format');
  if (format && format !== ENTITY_FORMAT) fail(`Issuer Format ${format} is not an entity ID`);

  const skewMs = (trusted.saml.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS) * 1000;
  const now = o.now();
  const issued = instant(a.getAttribute('IssueInstant'), 'IssueInstant', true)!;
  if (issued > now + skewMs) fail('IssueInstant is in the future');

  // Conditions: the time window, the audience, nothing unknown.
  const conditions = exactlyOne(a, NS.saml, 'Conditions', 'Conditions');
  const notBefore = instant(conditions.getAttribute('NotBefore'), 'Conditions NotBefore', false);
  const notOnOrAfter = instant(conditions.getAttribute('NotOnOrAfter'), 'Conditions NotOnOrAfter', true)!;
  if (notBefore !== undefined && notBefore > now + skewMs)
    fail('the assertion is not yet valid (Conditions NotBefore)');
  if (now >= notOnOrAfter + skewMs) fail('the assertion has expired (Conditions NotOnOrAfter)');
  const restrictions = childElements(conditions, NS.saml, 'AudienceRestriction');
  if (!restrictions.length) fail('the assertion has no AudienceRestriction');
  for (const r of restrictions) {
    const audiences = childElements(r, NS.saml, 'Audience').map((x) => textOf(x, 'Audience'));
    if (!audiences.some((x) => trusted.audiences.includes(x)))
      fail(`the assertion's audience (${audiences.join(', ').slice(0, 300)}) is not ${trusted.audiences.join(' or ')}`);
  }
  for (const c of elementChildren(conditions)) {
    if (
      c.namespaceURI !== NS.saml ||
      !['AudienceRestriction', 'OneTimeUse', 'ProxyRestriction'].includes(c.localName ?? '')
    )
      fail(`unknown condition ${c.localName} (unknown conditions make an assertion invalid)`);
    // The run token is a new assertion issued on the strength of this one (SAML core 2.5.1.6).
    if (c.localName === 'ProxyRestriction' && c.getAttribute('Count') === '0')
      fail('ProxyRestriction Count="0": the IdP forbids issuing tokens on the strength of this assertion');
  }

  // Subject: one NameID, and a bearer confirmation addressed to us that is still valid.
  const subject = exactlyOne(a, NS.saml, 'Subject', 'Subject');
  const nameIdEl = exactlyOne(subject, NS.saml, 'NameID', 'NameID');
  const nameId = textOf(nameIdEl, 'NameID');
  const recipient = trusted.saml.recipient ?? o.defaultRecipient;
  const confirmations = childElements(subject, NS.saml, 'SubjectConfirmation').filter(
    (c) => c.getAttribute('Method') === BEARER,
  );
  if (!confirmations.length) fail('no bearer SubjectConfirmation');
  const reasons: string[] = [];
  let confirmedUntil: number | undefined;
  for (const c of confirmations) {
    const data = childElements(c, NS.saml, 'SubjectConfirmationData');
    if (data.length !== 1) {
      reasons.push('no single SubjectConfirmationData');
      continue;
    }
    const d = data[0]!;
    const r = d.getAttribute('Recipient');
    if (r !== recipient) {
      reasons.push(`Recipient ${r ? `"${r.slice(0, 200)}"` : 'missing'} is not ${recipient}`);
      continue;
    }
    const until = instant(d.getAttribute('NotOnOrAfter'), 'SubjectConfirmationData NotOnOrAfter', false);
    if (until === undefined) {
      reasons.push('SubjectConfirmationData has no NotOnOrAfter');
      continue;
    }
    if (now >= until + skewMs) {
      reasons.push('SubjectConfirmationData has expired (NotOnOrAfter)');
      continue;
    }
    const from = instant(d.getAttribute('NotBefore'), 'SubjectConfirmationData NotBefore', false);
    if (from !== undefined && from > now + skewMs) {
      reasons.push('SubjectConfirmationData is not yet valid (NotBefore)');
      continue;
    }
    confirmedUntil = until;
    break;
  }
  if (confirmedUntil === undefined) fail(`no valid bearer SubjectConfirmation: ${reasons.join('; ')}`);
  const expMs = Math.min(notOnOrAfter, confirmedUntil!);
  if (expMs - issued > MAX_ASSERTION_LIFETIME_SECONDS * 1000)
    fail(
      `the assertion is valid for ${Math.round((expMs - issued) / 1000)}s, more than the ${MAX_ASSERTION_LIFETIME_SECONDS}s accepted`,
    );

  const nameAttr = trusted.saml.nameAttribute;
  const groupsAttr = trusted.saml.groupsAttribute;
  const attributes = attributesOf(
    a,
    [nameAttr, groupsAttr, groupsAttr ? GROUPS_OVERAGE_ATTRIBUTE : undefined].filter((x): x is string => !!x),
  );
  let sub = nameId;
  const nameIdFormat = nameIdEl.getAttribute('Format') ?? '';
  if (!nameAttr && NOT_A_PERSON_FORMATS.has(nameIdFormat))
    fail(
      `a NameID of format ${nameIdFormat} does not name a person (set saml.nameAttribute to read the name from an attribute)`,
    );
  if (nameAttr) {
    const v = attributes.get(nameAttr);
    if (!v || v.length !== 1) fail(`attribute ${nameAttr} (the person's name) must carry exactly one value`);
    sub = v![0]!;
  }
  let groups: string[] | undefined;
  if (groupsAttr) {
    if (!attributes.has(groupsAttr) && friendlyNamed(a, groupsAttr))
      fail(
        `saml.groupsAttribute ${groupsAttr.slice(0, 200)} is an attribute's FriendlyName; name the attribute by its Name (otherwise no groups would ever be read)`,
      );
    if (!attributes.has(groupsAttr) && attributes.has(GROUPS_OVERAGE_ATTRIBUTE))
      fail(
        `the IdP left the groups out of the assertion (groups overage: ${GROUPS_OVERAGE_ATTRIBUTE}); a rule on groups cannot be checked`,
      );
    try {
      groups = checkedGroups(attributes.get(groupsAttr) ?? [], `attribute ${groupsAttr}`);
    } catch (e) {
      fail((e as Error).message);
    }
  }
  const email = nameIdEl.getAttribute('Format') === EMAIL_FORMAT && !nameAttr ? nameId : undefined;

  const person = {
    iss: trusted.issuer,
    sub,
    ...(email ? { email } : {}),
    ...(groups ? { groups } : {}),
    exp: Math.floor(expMs / 1000),
    assertionId: a.getAttribute('ID')!,
  };
  return { person, replayUntilMs: expMs + skewMs };
}

/** The values of the attributes named in `wanted` (others are not read: IdPs send empty or structured ones). */
function attributesOf(a: Element, wanted: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const st of childElements(a, NS.saml, 'AttributeStatement')) {
    for (const attr of childElements(st, NS.saml, 'Attribute')) {
      const name = attr.getAttribute('Name') ?? '';
      if (!wanted.includes(name)) continue;
      if (out.has(name)) fail(`attribute ${name.slice(0, 200)} appears more than once`);
      // An empty value (xsi:nil, or an IdP's placeholder) carries nothing.
      const values = childElements(attr, NS.saml, 'AttributeValue').filter((v) => v.firstChild !== null);
      out.set(
        name,
        values.map((v) => textOf(v, `attribute ${name.slice(0, 200)}`)),
      );
    }
  }
  return out;
}

/** Does an attribute carry `name` as its FriendlyName (a policy naming it so would read no groups)? */
function friendlyNamed(a: Element, name: string): boolean {
  return childElements(a, NS.saml, 'AttributeStatement').some((st) =>
    childElements(st, NS.saml, 'Attribute').some((x) => x.getAttribute('FriendlyName') === name),
  );
}

/** Comments and processing instructions: ignored by the signature, read by naive text readers (CVE-2017-11427 class). */
function refuseHiddenContent(doc: Document): void {
  const walk = (n: Node, depth: number): void => {
    // Assertions nest a dozen levels; a deeper document would only exhaust the recursive readers' stack.
    if (depth > MAX_DEPTH) fail(`the document nests elements more than ${MAX_DEPTH} deep`);
    for (let c = n.firstChild; c; c = c.nextSibling) {
      if (c.nodeType === 8)
        fail('XML comments are not accepted (a comment can split a signed value such as the NameID)');
      if (c.nodeType === 7 && (c as ProcessingInstruction).target.toLowerCase() !== 'xml')
        fail('processing instructions are not accepted');
      if (c.nodeType === 10) fail('a DOCTYPE is not accepted');
      walk(c, depth + 1);
    }
  };
  walk(doc, 0);
}

function refuseDuplicateIds(root: Element): void {
  const seen = new Set<string>();
  for (const e of [root, ...descendants(root, () => true)]) {
    for (let i = 0; i < e.attributes.length; i++) {
      const at = e.attributes.item(i)!;
      if (!ID_ATTRIBUTES.has(at.name) && !ID_ATTRIBUTES.has(at.localName ?? '')) continue;
      if (seen.has(at.value))
        fail(`duplicate ID "${at.value.slice(0, 100)}" (a signature must reference exactly one element)`);
      seen.add(at.value);
    }
  }
}

async function certificatesOf(
  t: TriggerIssuerSpec & { saml: NonNullable<TriggerIssuerSpec['saml']> },
  o: SamlVerifyOptions,
): Promise<string[]> {
  if (t.saml.certificates?.length) return t.saml.certificates.map(certificatePem);
  let text: string;
  try {
    if (t.saml.metadataFile) text = (o.readFile ?? ((p: string) => readFileSync(p, 'utf8')))(t.saml.metadataFile);
    else if (t.saml.metadataUrl && o.metadata) text = await o.metadata.text(t.saml.metadataUrl);
    else return fail(`issuer ${t.issuer} has no signing certificates configured`);
  } catch (e) {
    if (e instanceof SamlSubjectError) throw e;
    return fail(`cannot read the metadata of ${t.issuer}: ${(e as Error).message}`);
  }
  const certs = await metadataSigningCertificates(text, t.issuer);
  if (!certs.length) fail(`the metadata of ${t.issuer} lists no IdP signing certificate`);
  return certs;
}

/** The IDPSSODescriptor signing certificates of the EntityDescriptor named `entityId` in SAML metadata. */
export async function metadataSigningCertificates(xml: string, entityId: string): Promise<string[]> {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) fail('IdP metadata with a DOCTYPE is not accepted');
  let root: Element | null;
  try {
    root = (await parseXml(xml)).documentElement;
  } catch (e) {
    return fail(`IdP metadata is not well-formed XML (${(e as Error).message.split('\n')[0]})`);
  }
  if (!root) return [];
  const entities = [root, ...descendants(root, () => true)].filter(
    (e) => e.namespaceURI === NS.md && e.localName === 'EntityDescriptor' && e.getAttribute('entityID') === entityId,
  );
  if (entities.length !== 1) fail(`IdP metadata holds ${entities.length} EntityDescriptors for ${entityId}`);
  const certs: string[] = [];
  for (const idp of childElements(entities[0]!, NS.md, 'IDPSSODescriptor')) {
    for (const kd of childElements(idp, NS.md, 'KeyDescriptor')) {
      const use = kd.getAttribute('use');
      if (use && use !== 'signing') continue;
      for (const c of descendants(kd, (e) => e.namespaceURI === NS.ds && e.localName === 'X509Certificate'))
        certs.push(certificatePem(textOf(c, 'X509Certificate', 16384)));
    }
  }
  return certs;
}

function instant(v: string | null, what: string, required: boolean): number | undefined {
  if (v === null || v === '') return required ? fail(`${what} is missing`) : undefined;
  // xs:dateTime in UTC, as SAML requires.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/.test(v))
    fail(`${what} "${v.slice(0, 40)}" is not a UTC dateTime`);
  const t = Date.parse(v);
  if (Number.isNaN(t)) fail(`${what} "${v.slice(0, 40)}" is not a valid time`);
  return t;
}

function textOf(e: Element, what: string, max = MAX_VALUE_CHARS): string {
  let s = '';
  for (let c = e.firstChild; c; c = c.nextSibling) {
    if (c.nodeType === 3 || c.nodeType === 4) s += c.nodeValue ?? '';
    else fail(`${what} must be text only`);
  }
  s = s.trim();
  if (!s) fail(`${what} is empty`);
  if (s.length > max) fail(`${what} is longer than ${max} characters`);
  return s;
}

function elementChildren(e: Element): Element[] {
  const out: Element[] = [];
  for (let c = e.firstChild; c; c = c.nextSibling) if (c.nodeType === 1) out.push(c as Element);
  return out;
}

function childElements(e: Element, ns: string, local: string): Element[] {
  return elementChildren(e).filter((c) => c.namespaceURI === ns && c.localName === local);
}

function exactlyOne(e: Element, ns: string, local: string, what: string): Element {
  const found = childElements(e, ns, local);
  if (found.length !== 1) fail(found.length ? `more than one ${what}` : `no ${what}`);
  return found[0]!;
}

function descendants(e: Element, pred: (x: Element) => boolean): Element[] {
  const out: Element[] = [];
  const walk = (n: Element): void => {
    for (const c of elementChildren(n)) {
      if (pred(c)) out.push(c);
      walk(c);
    }
  };
  walk(e);
  return out;
}
