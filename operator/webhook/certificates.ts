/**
 * The webhook's own PKI, cert-manager style but self-contained: a CA and a serving certificate made
 * with WebCrypto (@peculiar/x509), kept in a Secret so every replica serves the same certificate, and
 * renewed when less than a third of the lifetime is left. The CA goes into the webhook's caBundle.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';

x509.cryptoProvider.set(webcrypto as never);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface WebhookPki {
  caCert: string;
  caKey: string;
  cert: string;
  key: string;
  notAfter: string;
}

async function exportKey(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

async function importKey(pem: string): Promise<CryptoKey> {
  return webcrypto.subtle.importKey('pkcs8', x509.PemConverter.decode(pem)[0]!, ALG, true, [
    'sign',
  ]) as Promise<CryptoKey>;
}

export interface IssueOptions {
  /** DNS names and IP addresses the serving certificate is for. */
  dnsNames: string[];
  ipAddresses?: string[];
  validDays?: number;
  now?: Date;
  /** Reuse an existing CA (rotation of the serving certificate keeps the caBundle stable). */
  ca?: { cert: string; key: string };
}

export async function issueWebhookPki(o: IssueOptions): Promise<WebhookPki> {
  const now = o.now ?? new Date();
  const days = o.validDays ?? 90;
  let caCert: x509.X509Certificate;
  let caKey: CryptoKey;
  if (o.ca) {
    caCert = new x509.X509Certificate(o.ca.cert);
    caKey = await importKey(o.ca.key);
  } else {
    const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
    caKey = keys.privateKey;
    caCert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name: 'CN=agentgate-webhook-ca',
      notBefore: new Date(now.getTime() - 60_000),
      notAfter: new Date(now.getTime() + 5 * 365 * 86_400_000),
      keys,
      signingAlgorithm: ALG,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      ],
    });
  }
  const leafKeys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const notAfter = new Date(now.getTime() + days * 86_400_000);
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${o.dnsNames[0] ?? 'agentgate-webhook'}`,
    issuer: caCert.subject,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter,
    signingKey: caKey,
    publicKey: leafKeys.publicKey,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...o.dnsNames.map((d) => ({ type: 'dns' as const, value: d })),
        ...(o.ipAddresses ?? []).map((ip) => ({ type: 'ip' as const, value: ip })),
      ]),
    ],
  });
  return {
    caCert: caCert.toString('pem'),
    caKey: o.ca?.key ?? (await exportKey(caKey)),
    cert: leaf.toString('pem'),
    key: await exportKey(leafKeys.privateKey),
    notAfter: notAfter.toISOString(),
  };
}

/** True when less than a third of the serving certificate's lifetime is left (or it is unreadable). */
export function needsRenewal(pki: Pick<WebhookPki, 'cert'>, now = new Date()): boolean {
  try {
    const c = new x509.X509Certificate(pki.cert);
    const total = c.notAfter.getTime() - c.notBefore.getTime();
    return c.notAfter.getTime() - now.getTime() < total / 3;
  } catch {
    return true;
  }
}

function serial(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
    .toString('hex')
    .replace(/^[89a-f]/, '1');
}
