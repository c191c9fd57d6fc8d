/** Kubernetes client plumbing shared by the operator and the proxy's cluster mode. */
import {
  ApiException,
  KubeConfig,
  OpenidApi,
  PatchStrategy,
  setHeaderOptions,
  WellKnownApi,
} from '@kubernetes/client-node';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Custom-object patches default to JSON Patch in client-node; these set the real content type. */
export const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
export const applyPatch = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);

export function loadKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  // Without KUBECONFIG, ~/.kube/config or a pod's service account, client-node falls back to
  // http://localhost:8080 and every call fails with a TLS message that hides why.
  if (
    !process.env.KUBECONFIG &&
    !existsSync(join(homedir(), '.kube', 'config')) &&
    !process.env.KUBERNETES_SERVICE_HOST
  ) {
    throw new Error(
      'no Kubernetes configuration found: set KUBECONFIG (or create ~/.kube/config), or run inside a pod',
    );
  }
  return kc;
}

/** HTTP status of a client-node error (ApiException.code), if it is one. */
export function statusOf(e: unknown): number | undefined {
  return e instanceof ApiException ? e.code : undefined;
}

/** The API server's message from an ApiException (its body is raw JSON text). */
export function messageOf(e: unknown): string {
  if (e instanceof ApiException) {
    try {
      return (JSON.parse(String(e.body)) as { message?: string }).message ?? String(e.body);
    } catch {
      return String(e.body);
    }
  }
  return (e as Error).message;
}

/** Fetches the cluster's service-account issuer keys (GET /openid/v1/jwks) with the kubeconfig's credentials. */
export function serviceAccountJwks(kc: KubeConfig): () => Promise<{ keys: Record<string, unknown>[] }> {
  const api = kc.makeApiClient(OpenidApi);
  return async () => {
    return jsonBody(await api.getServiceAccountIssuerOpenIDKeyset()) as { keys: Record<string, unknown>[] };
  };
}

/** The cluster's service-account issuer (from its OIDC discovery document), fetched once. */
export function serviceAccountIssuer(kc: KubeConfig): () => Promise<string> {
  let issuer: Promise<string> | undefined;
  return () => {
    issuer ??= kc
      .makeApiClient(WellKnownApi)
      .getServiceAccountIssuerOpenIDConfiguration()
      .then((body: unknown) => (jsonBody(body) as { issuer: string }).issuer)
      .catch((e: unknown) => {
        issuer = undefined;
        throw e;
      });
    return issuer;
  };
}

/** The OIDC endpoints are typed as returning a string; depending on the content type it is JSON text or already parsed. */
function jsonBody(body: unknown): unknown {
  return typeof body === 'string' ? JSON.parse(body) : body;
}

const SHARED = Symbol('agentgate.sharedDispatchers');

/**
 * client-node (2.0.1) builds a new undici Agent, so a new TLS context and connection pool, for every API
 * request. The operator makes many (each sidecar feed call is a pod read and two lists), and the native
 * memory of those contexts lingers until V8 collects them. This makes `kc` hand every request with the
 * same cluster (server, proxy), user and TLS material one shared Agent. If client-node no longer has the method, `kc` is
 * left as it is (test/unit/shared-dispatchers.test.ts then fails).
 */
export function shareDispatchers(kc: KubeConfig): KubeConfig {
  const target = kc as unknown as {
    createDispatcher?: ((cluster: unknown, options: Record<string, unknown>) => unknown) & { [SHARED]?: true };
  };
  const create = target.createDispatcher?.bind(kc);
  if (!create || target.createDispatcher?.[SHARED]) return kc;
  // One dispatcher per endpoint and user; new TLS material (a rotated CA or client certificate) replaces it,
  // and the old one is closed once its requests are done.
  const shared = new Map<string, { tls: string; dispatcher: unknown }>();
  target.createDispatcher = (cluster, options) => {
    const c = cluster as { name?: string; server?: string; proxyUrl?: string } | null;
    const endpoint = JSON.stringify([c?.name, c?.server, c?.proxyUrl, kc.getCurrentUser()?.name]);
    const tls = JSON.stringify(
      ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'].map((k) =>
        String(options[k] ?? ''),
      ),
    );
    const known = shared.get(endpoint);
    if (known?.tls === tls) return known.dispatcher;
    void (known?.dispatcher as { close?: () => Promise<void> } | undefined)?.close?.().catch(() => undefined);
    const dispatcher = create(cluster, options);
    shared.set(endpoint, { tls, dispatcher });
    return dispatcher;
  };
  target.createDispatcher[SHARED] = true;
  return kc;
}
