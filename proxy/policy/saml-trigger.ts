/** Checks of a SAML trigger issuer the CRD schema cannot express: its certificates must parse. */
import { X509Certificate } from 'node:crypto';
import type { PolicyError } from './validate.js';
import type { TriggerIssuerSpec } from './types.js';

/** A certificate as PEM, whether configured as PEM or as the bare base64 DER metadata carries. */
export function certificatePem(cert: string): string {
  const body = cert.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  return `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END CERTIFICATE-----\n`;
}

export function samlTriggerErrors(iss: TriggerIssuerSpec, path: string): PolicyError[] {
  const errors: PolicyError[] = [];
  const saml = iss.saml!;
  if ((saml.certificates === undefined) === (saml.metadataFile === undefined)) errors.push({ path: `${path}.saml`, message: 'set exactly one of certificates or metadataFile' });
  if (iss.groupsClaim !== undefined) errors.push({ path: `${path}.groupsClaim`, message: 'a SAML issuer names its groups attribute in saml.groupsAttribute' });
  (saml.certificates ?? []).forEach((c, j) => {
    try {
      new X509Certificate(certificatePem(c));
    } catch (e) {
      errors.push({ path: `${path}.saml.certificates[${j}]`, message: `not an X.509 certificate: ${(e as Error).message}` });
    }
  });
  return errors;
}
