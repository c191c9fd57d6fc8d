/**
 * Checks of trigger issuers and of rules on the triggering person that the CRD schema cannot express:
 * a SAML issuer's certificates must parse; a rule on the person must be able to see one.
 */
import { X509Certificate } from 'node:crypto';
import type { PolicyError } from './validate-policy.js';
import type { PolicySpec, RuleSpec, TriggerIssuerSpec } from './policy-types.js';

/** A certificate as PEM, whether configured as PEM or as the bare base64 DER metadata carries. */
export function certificatePem(cert: string): string {
  const body = cert.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  return `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END CERTIFICATE-----\n`;
}

/** An IdP metadata URL: HTTPS, or plain HTTP to this machine only. */
export function metadataUrlError(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'not a URL';
  }
  if (u.protocol === 'https:') return undefined;
  if (u.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)) return undefined;
  return 'must be https (http only on 127.0.0.1)';
}

export function samlTriggerErrors(iss: TriggerIssuerSpec, path: string): PolicyError[] {
  const errors: PolicyError[] = [];
  const saml = iss.saml!;
  if ([saml.certificates, saml.metadataFile, saml.metadataUrl].filter((x) => x !== undefined).length !== 1)
    errors.push({ path: `${path}.saml`, message: 'set exactly one of certificates, metadataFile or metadataUrl' });
  const urlError = saml.metadataUrl === undefined ? undefined : metadataUrlError(saml.metadataUrl);
  if (urlError) errors.push({ path: `${path}.saml.metadataUrl`, message: urlError });
  if (iss.groupsClaim !== undefined)
    errors.push({
      path: `${path}.groupsClaim`,
      message: 'a SAML issuer names its groups attribute in saml.groupsAttribute',
    });
  (saml.certificates ?? []).forEach((c, j) => {
    try {
      new X509Certificate(certificatePem(c));
    } catch (e) {
      errors.push({
        path: `${path}.saml.certificates[${j}]`,
        message: `not an X.509 certificate: ${(e as Error).message}`,
      });
    }
  });
  return errors;
}

/**
 * A rule on the triggering person must be able to match: a session without a run token names no
 * person, and an issuer that does not state groups gives none, so such a rule (a Deny above all) would
 * be skipped silently. Require run tokens, and groups from every issuer the rule can see.
 */
export function triggeredByRuleErrors(r: RuleSpec, i: number, spec: PolicySpec): PolicyError[] {
  const when = r.when?.triggeredBy;
  if (!when) return [];
  const errors: PolicyError[] = [];
  const path = `spec.rules[${i}].when.triggeredBy`;
  const triggers = spec.identity.triggerIssuers ?? [];
  if (!spec.identity.requireTriggeredBy)
    errors.push({
      path,
      message:
        "matching on who triggered the run needs identity.requireTriggeredBy: true (an agent's own token names no person, and would skip this rule)",
    });
  (when.issuers ?? []).forEach((t, j) => {
    if (!triggers.some((x) => x.issuer === t))
      errors.push({ path: `${path}.issuers[${j}]`, message: `no trigger issuer "${t}"` });
  });
  if (when.groups) {
    const seen = triggers.filter((t) => !when.issuers || when.issuers.includes(t.issuer));
    for (const t of seen) {
      if (!(t.saml ? t.saml.groupsAttribute : t.groupsClaim))
        errors.push({
          path: `${path}.groups`,
          message: `trigger issuer ${t.issuer} states no groups (set ${t.saml ? 'saml.groupsAttribute' : 'groupsClaim'}, or limit the rule with when.triggeredBy.issuers)`,
        });
    }
  }
  return errors;
}
