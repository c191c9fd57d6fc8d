/**
 * Keeps the webhook PKI in a Secret (shared by replicas) and the CA in the
 * MutatingWebhookConfiguration's caBundle, so the webhook works without cert-manager.
 */
import type { AdmissionregistrationV1Api, CoreV1Api, V1Secret } from '@kubernetes/client-node';
import { statusOf } from '../../shared/kube/client.js';
import { issueWebhookPki, needsRenewal, type WebhookPki } from './certificates.js';

export interface PkiStoreOptions {
  core: CoreV1Api;
  admission: AdmissionregistrationV1Api;
  namespace: string;
  secretName?: string;
  dnsNames: string[];
  ipAddresses?: string[];
  /** MutatingWebhookConfiguration whose webhooks get the caBundle. */
  webhookConfiguration?: string;
  now?: () => Date;
}

const KEYS = { caCert: 'ca.crt', caKey: 'ca.key', cert: 'tls.crt', key: 'tls.key' } as const;

export class PkiStore {
  constructor(private readonly o: PkiStoreOptions) {}

  private get secretName(): string {
    return this.o.secretName ?? 'agentgate-webhook-tls';
  }

  /** The current PKI, issuing or renewing (keeping the CA) when needed. */
  async ensure(): Promise<WebhookPki> {
    const now = this.o.now?.() ?? new Date();
    let secret: V1Secret | undefined;
    try {
      secret = await this.o.core.readNamespacedSecret({ name: this.secretName, namespace: this.o.namespace });
    } catch (e) {
      if (statusOf(e) !== 404) throw e;
    }
    const current = secret && fromSecret(secret);
    if (current && !needsRenewal(current, now)) return current;
    const pki = await issueWebhookPki({
      dnsNames: this.o.dnsNames,
      ...(this.o.ipAddresses ? { ipAddresses: this.o.ipAddresses } : {}),
      now,
      ...(current ? { ca: { cert: current.caCert, key: current.caKey } } : {}),
    });
    const data = Object.fromEntries(
      Object.entries(KEYS).map(([k, file]) => [file, Buffer.from(pki[k as keyof typeof KEYS]).toString('base64')]),
    );
    const body: V1Secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: {
        name: this.secretName,
        namespace: this.o.namespace,
        labels: { 'app.kubernetes.io/managed-by': 'agentgate' },
        ...(secret?.metadata?.resourceVersion ? { resourceVersion: secret.metadata.resourceVersion } : {}),
      },
      data,
    };
    try {
      if (secret)
        await this.o.core.replaceNamespacedSecret({ name: this.secretName, namespace: this.o.namespace, body });
      else await this.o.core.createNamespacedSecret({ namespace: this.o.namespace, body });
    } catch (e) {
      // Another replica won the race: use what it wrote.
      if (statusOf(e) === 409) return this.ensure();
      throw e;
    }
    return pki;
  }

  /** Writes the CA into every webhook of the configuration, if it exists and differs. */
  async injectCaBundle(caCert: string): Promise<boolean> {
    if (!this.o.webhookConfiguration) return false;
    let cfg;
    try {
      cfg = await this.o.admission.readMutatingWebhookConfiguration({ name: this.o.webhookConfiguration });
    } catch (e) {
      if (statusOf(e) === 404) return false;
      throw e;
    }
    const bundle = Buffer.from(caCert).toString('base64');
    if ((cfg.webhooks ?? []).every((w) => w.clientConfig.caBundle === bundle)) return false;
    for (const w of cfg.webhooks ?? []) w.clientConfig.caBundle = bundle;
    await this.o.admission.replaceMutatingWebhookConfiguration({ name: this.o.webhookConfiguration, body: cfg });
    return true;
  }
}

function fromSecret(s: V1Secret): WebhookPki | undefined {
  const d = s.data ?? {};
  const get = (f: string): string | undefined => (d[f] ? Buffer.from(d[f]!, 'base64').toString('utf8') : undefined);
  const caCert = get(KEYS.caCert);
  const caKey = get(KEYS.caKey);
  const cert = get(KEYS.cert);
  const key = get(KEYS.key);
  if (!caCert || !caKey || !cert || !key) return undefined;
  return { caCert, caKey, cert, key, notAfter: '' };
}
