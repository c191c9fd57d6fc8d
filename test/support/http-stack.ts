/**
 * A proxy guarding HTTP targets only (no database): a dev issuer, an audit file, every listener on an
 * ephemeral loopback port. For the HTTP targets' integration tests.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDevKey, issueDevToken } from '../../proxy/identity/dev-issuer.js';
import { GuardProxy, type GuardProxyOptions } from '../../proxy/server.js';
import type { PolicySpec } from '../../shared/contract/policy-types.js';
import { validatePolicy } from '../../shared/contract/validate-policy.js';

export const ISSUER = 'https://issuer.example';

export interface HttpStack {
  proxy: GuardProxy;
  dir: string;
  auditFile: string;
  /** Base URL of a target's reverse listener. */
  url(target: string): string;
  /** host:port of a target's forward-proxy listener. */
  forward(target: string): string;
  token(subject?: string, ttlSeconds?: number): Promise<string>;

  records(): Record<string, any>[];
  stop(): Promise<void>;
}

export async function startHttpStack(
  spec: Omit<Partial<PolicySpec>, 'targets'> & { targets: unknown[] },
  o: { env?: NodeJS.ProcessEnv; proxyOptions?: Partial<GuardProxyOptions> } = {},
): Promise<HttpStack> {
  const dir = mkdtempSync(join(tmpdir(), 'agentgate-http-'));
  const key = await ensureDevKey(dir);
  const doc = validatePolicy(
    JSON.parse(
      JSON.stringify({
        apiVersion: 'agentgate.dev/v1alpha1',
        kind: 'AgentAccessPolicy',
        metadata: { name: 'http-test', namespace: 'agents' },
        spec: {
          identity: { issuers: [{ issuer: ISSUER, audiences: ['agentgate'], jwksFile: key.jwksFile }] },
          defaultAction: 'Deny',
          ...spec,
        },
      }),
    ),
    'test policy',
  );
  const listenOverride: Record<string, string> = {};
  for (const t of doc.spec.targets) {
    listenOverride[t.name] = '127.0.0.1:0';
    listenOverride[`${t.name}/forward`] = '127.0.0.1:0';
  }
  const auditFile = join(dir, 'audit.log');
  const proxy = await GuardProxy.start({
    policy: doc,
    auditFile,
    recordingsDir: join(dir, 'sessions'),
    env: o.env ?? {},
    listenOverride,
    ...o.proxyOptions,
  });
  const find = (target: string, kind: 'reverse' | 'forward'): { host: string; port: number } => {
    const a = proxy.addresses().find((x) => x.target === target && (x.kind ?? 'reverse') === kind);
    if (!a) throw new Error(`no ${kind} listener for ${target}`);
    return a;
  };
  return {
    proxy,
    dir,
    auditFile,
    url: (t) => `http://127.0.0.1:${find(t, 'reverse').port}`,
    forward: (t) => `127.0.0.1:${find(t, 'forward').port}`,
    token: (subject = 'agent-1', ttlSeconds = 600) =>
      issueDevToken({ dir, issuer: ISSUER, subject, audience: 'agentgate', ttlSeconds }),
    records: () => {
      proxy.audit.flush();
      return readFileSync(auditFile, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
    },
    stop: () => proxy.stop(),
  };
}
