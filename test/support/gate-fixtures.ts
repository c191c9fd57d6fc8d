/**
 * What the gate's unit tests share: one target per protocol, an agent, a policy with every required
 * field filled in, an audit log in memory (or in a temporary file), SQL operations as the parser extracts
 * them and a request running them, a stub approval broker, the requests the HTTP and MCP gates take, and
 * an MCP gate with real metrics.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApprovalBroker } from '../../proxy/approvals/broker.js';
import { AuditLog, type ScopedAudit } from '../../proxy/audit/audit-log.js';
import type { AuditFields } from '../../proxy/audit/record.js';
import { Gate } from '../../proxy/gate/gate.js';
import type { GateRequest } from '../../proxy/gate/request.js';
import { sqlRequest, type SqlOperation, type SqlRequest } from '../../proxy/gate/sql-request.js';
import type { GateRequest as DirectHttpRequest } from '../../proxy/http/gate-port.js';
import { buildFacts } from '../../proxy/http/request-facts.js';
import type { Principal } from '../../proxy/identity/verify.js';
import { McpGate, type McpGateRequest } from '../../proxy/mcp/gate.js';
import { callFacts } from '../../proxy/mcp/mcp-facts.js';
import { ProxyMetrics } from '../../proxy/observability/metrics.js';
import { compilePolicy, type PolicyRuntime } from '../../proxy/policy/runtime.js';
import { explainSql } from '../../proxy/sql/explain.js';
import type { CatalogSnapshot } from '../../proxy/sql/catalog.js';
import type {
  AgentAccessPolicy,
  HttpTargetSpec,
  McpTargetSpec,
  PolicySpec,
  TargetSpec,
} from '../../shared/contract/policy-types.js';
import { parseRequestPath } from '../../shared/policy-language/path-template.js';
import { catalogWith } from './caps-catalog.js';

export const dbTarget: TargetSpec = {
  name: 'db',
  protocol: 'postgres',
  listen: '127.0.0.1:1',
  access: 'ReadWrite',
  upstream: { host: 'h', port: 1, database: 'd', user: 'u', sslMode: 'disable' },
  credentials: { passwordEnv: 'P' },
};
export const httpTarget = {
  name: 'pay',
  protocol: 'http',
  listen: '127.0.0.1:2',
  upstream: { url: 'http://127.0.0.1:3' },
} as unknown as HttpTargetSpec;
export const mcpTarget = {
  name: 'files',
  protocol: 'mcp',
  listen: '127.0.0.1:4',
  upstream: { command: 'mcp-server-filesystem', args: ['/data'] },
} as unknown as McpTargetSpec;

export const principal: Principal = { iss: 'https://issuer.example', sub: 'agent-1', iat: 0, exp: 2 ** 31, claims: {} };
export const client = { address: '127.0.0.1' };

/** Any part of a policy's spec, as loosely as tests write it (defaults filled in by the compiler). */
export type SpecOverrides = { [K in keyof PolicySpec]?: unknown };

/** An enforcing, default-Allow policy `p` in namespace `agents` with no targets, `spec` laid over it. */
export function policyDocument(spec: SpecOverrides = {}): AgentAccessPolicy {
  return {
    apiVersion: 'agentgate.dev/v1alpha1',
    kind: 'AgentAccessPolicy',
    metadata: { name: 'p', namespace: 'agents' },
    spec: {
      mode: 'Enforce',
      defaultAction: 'Allow',
      identity: { issuers: [], maxTokenLifetimeSeconds: 900 },
      targets: [],
      ...spec,
    },
  } as unknown as AgentAccessPolicy;
}

export function policyRuntime(spec: SpecOverrides = {}): PolicyRuntime {
  return compilePolicy(policyDocument(spec));
}

export type MemoryAudit = ScopedAudit & { records: AuditFields[]; healthy: boolean; down: boolean };

/** An audit log in memory, scopes included; `down` makes every tryAppend fail. */
export function memoryAudit(): MemoryAudit {
  const records: AuditFields[] = [];
  const append = (f: AuditFields) => ({ seq: records.push(f), hash: '' });
  const tryAppend = (f: AuditFields) => (audit.down ? undefined : append(f));
  const audit = {
    records,
    healthy: true,
    down: false,
    append,
    defer: append,
    tryAppend,
    scope: (shared: Partial<AuditFields>) => ({
      append: (f: AuditFields) => append({ ...shared, ...f }),
      defer: (f: AuditFields) => append({ ...shared, ...f }),
      tryAppend: (f: AuditFields) => tryAppend({ ...shared, ...f }),
    }),
  };
  return audit as never;
}

/** The same memory audit log, typed as the AuditLog a Gate is built with. */
export function memoryAuditLog(): AuditLog & { records: AuditFields[] } {
  return memoryAudit() as never;
}

/** A real audit log in a fresh temporary directory. */
export function fileAuditLog(prefix = 'agentgate-gate-'): { audit: AuditLog; file: string } {
  const file = join(mkdtempSync(join(tmpdir(), prefix)), 'audit.log');
  return { audit: new AuditLog({ file }), file };
}

/** Built-in functions and the tables `orders` and `payroll`, without triggers, rules or cascades. */
export const ordersAndPayroll = catalogWith({
  relations: [
    { schema: 'public', name: 'orders' },
    { schema: 'public', name: 'payroll' },
  ],
  searchPath: ['pg_catalog', 'public'],
  hiddenWrites: [],
});

/** The operations of `sql` as the parser extracts them against `catalog`. */
export async function sqlOps(sql: string, catalog: CatalogSnapshot = ordersAndPayroll): Promise<SqlOperation[]> {
  const r = await explainSql(sql, catalog);
  if (!r.ok) throw new Error(r.error);
  return r.statements.map((c) => ({ classification: c }));
}

/** A simple-protocol SQL request of `operations` on the db target, at the run stage, its session open. */
export function sqlRun(operations: SqlOperation[], more: Partial<SqlRequest> = {}): GateRequest {
  return sqlRequest({
    target: dbTarget,
    principal,
    audit: memoryAudit(),
    protocol: 'simple',
    operations,
    stage: 'run',
    catalog: ordersAndPayroll,
    closed: () => false,
    ...more,
  });
}

/** A broker that approves every request at once; `over` replaces any of its answers. */
export function stubBroker(over: Partial<ApprovalBroker> = {}): ApprovalBroker {
  return {
    findGrant: () => undefined,
    request: async () => ({ namespace: 'agents', name: 'req-1' }),
    waitFor: async () => ({ phase: 'Approved' }),
    claim: () => true,
    markUsed: async () => undefined,
    ...over,
  };
}

/** A tools/call of `tool` on the MCP target by the agent. */
export function mcpCall(
  tool: string,
  args: Record<string, unknown> = {},
  more: Partial<McpGateRequest> = {},
): McpGateRequest {
  return {
    facts: callFacts(mcpTarget.name, 'tools/call', { name: tool, arguments: args }),
    target: mcpTarget,
    principal,
    sessionId: 's',
    connectionId: 'c',
    client,
    maskedArguments: JSON.stringify(args),
    requestBytes: 2,
    ...more,
  };
}

/** An MCP gate over a gate with real metrics under `rt`; `call` sends a tools/call through it. */
export function meteredMcpGate(rt: PolicyRuntime, audit: AuditLog) {
  const metrics = new ProxyMetrics();
  const gate = new McpGate(new Gate({ runtime: () => rt, audit, metrics }));
  const call = (tool: string, args: Record<string, unknown> = {}) => gate.decide(mcpCall(tool, args));
  return { gate, metrics, call };
}

/** A POST to `path` on the HTTP target by the agent: a JSON `body`, or none at all. */
export function httpPost(path: string, body?: string, more: Partial<DirectHttpRequest> = {}): DirectHttpRequest {
  const headers = body === undefined ? {} : { 'content-type': ['application/json'] };
  return {
    facts: buildFacts(httpTarget.name, 'POST', parseRequestPath(path), headers, Buffer.from(body ?? '')),
    target: httpTarget,
    principal,
    sessionId: 's',
    connectionId: 'c',
    client,
    ...more,
  };
}
