/**
 * The sidecar's client to the real MCP server, one per agent session: Streamable HTTP or legacy SSE to
 * a URL (with the target's own credentials), or a stdio process the sidecar launches with the target's
 * environment (secrets from the sidecar's files; the agent never holds them). The SDK's transports do
 * the framing. Server-to-client requests (sampling, elicitation) pass only where the policy allows them.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { upstreamAuthHeader } from '../http/credentials.js';
import { mountedSecretPath, readSecretFile, readTargetSecret } from '../target-secrets.js';
import type { McpTargetSpec } from '../../shared/contract/policy-types.js';
import { credentialForms } from './credential-forms.js';

export interface UpstreamOptions {
  env: NodeJS.ProcessEnv;
  resolvePath?: (p: string) => string;
  onStderr?: (line: string) => void;
}

export function upstreamTransport(t: McpTargetSpec, o: UpstreamOptions): Transport {
  const u = t.upstream;
  if (u.command) {
    const transport = new StdioClientTransport({
      command: u.command,
      args: u.args ?? [],
      env: stdioEnv(t, o),
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (d: Buffer) => o.onStderr?.(d.toString('utf8')));
    return transport;
  }
  const auth = upstreamAuthHeader(t, o.env, o.resolvePath);
  const requestInit: RequestInit = { headers: auth ? { [auth[0]]: auth[1] } : {}, redirect: 'error' };
  const url = new URL(u.url!);
  return u.transport === 'sse'
    ? new SSEClientTransport(url, { requestInit })
    : new StreamableHTTPClientTransport(url, { requestInit });
}

/** What the sidecar's client declares: sampling and elicitation only where the target lets them through. */
export function upstreamClient(t: McpTargetSpec): Client {
  const caps = t.mcp?.capabilities ?? {};
  return new Client(
    { name: 'agentgate', version: '1' },
    { capabilities: { ...(caps.sampling ? { sampling: {} } : {}), ...(caps.elicitation ? { elicitation: {} } : {}) } },
  );
}

/** The stdio server's environment: only what the target names (the SDK adds PATH, HOME and the like). */
function stdioEnv(t: McpTargetSpec, o: UpstreamOptions): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of t.upstream.env ?? []) {
    if (e.value !== undefined) out[e.name] = e.value;
    else if (e.valueFromEnv !== undefined) {
      const v = o.env[e.valueFromEnv];
      if (v === undefined)
        throw new Error(`target ${t.name}: environment variable ${e.valueFromEnv} (upstream.env ${e.name}) is not set`);
      out[e.name] = v;
    } else {
      // In a pod, a Secret's key is mounted at <credentials dir>/<target>/<secret>/<key> (proxy container only).
      const file = e.valueFromFile
        ? o.resolvePath
          ? o.resolvePath(e.valueFromFile)
          : e.valueFromFile
        : mountedSecretPath(o.env, t.name, e.secretRef!.name, e.secretRef!.key);
      out[e.name] = readSecretFile(t.name, file, `upstream.env ${e.name}`);
    }
  }
  return out;
}

/**
 * The exact secret values the sidecar hands this server (environment from Secrets, files or the
 * sidecar's own environment; the URL's credential and the header built from it), in the forms a server
 * may echo them (as is, JSON-escaped, URL- and form-encoded: credential-forms.ts): masked in everything from the target, so a server that reports
 * its environment does not hand the agent its credentials. Plain `value:` entries are not secrets.
 */
export function upstreamSecrets(t: McpTargetSpec, o: UpstreamOptions): string[] {
  const raw: string[] = [];
  if (t.upstream.command) {
    const env = stdioEnv(t, o);
    for (const e of t.upstream.env ?? [])
      if (e.value === undefined && env[e.name] !== undefined) raw.push(env[e.name]!);
  } else if (t.credentials) {
    raw.push(readTargetSecret(t.name, t.credentials, o.env, o.resolvePath));
    const header = upstreamAuthHeader(t, o.env, o.resolvePath);
    if (header) raw.push(header[1], header[1].replace(/^\S+ /, ''));
  }
  return [...new Set(raw.flatMap(credentialForms))];
}
