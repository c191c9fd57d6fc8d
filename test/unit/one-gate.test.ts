/**
 * One gate for every protocol: HTTP requests and MCP calls go through the same approval flow as SQL
 * (proxy/gate/approval-flow.ts), so what SQL approvals carry, theirs carry too; and the same decision
 * record path (proxy/gate/record.ts), so what the gate masks for SQL it masks for them.
 */
import { expect } from 'chai';
import type { AuditLog } from '../../proxy/audit/audit-log.js';
import type { AuditFields } from '../../proxy/audit/record.js';
import { Gate } from '../../proxy/gate/gate.js';
import { DirectHttpGate } from '../../proxy/http/direct-gate.js';
import { buildFacts } from '../../proxy/http/request-facts.js';
import type { Principal } from '../../proxy/identity/verify.js';
import { McpGate } from '../../proxy/mcp/gate.js';
import { callFacts } from '../../proxy/mcp/mcp-facts.js';
import { compilePolicy } from '../../proxy/policy/runtime.js';
import type {
  AgentAccessPolicy,
  HttpTargetSpec,
  McpTargetSpec,
  PolicySpec,
} from '../../shared/contract/policy-types.js';
import { parseRequestPath } from '../../shared/policy-language/path-template.js';
import { MemoryBroker } from '../support/memory-broker.js';

const http = {
  name: 'pay',
  protocol: 'http',
  listen: '127.0.0.1:1',
  upstream: { url: 'http://127.0.0.1:2' },
} as unknown as HttpTargetSpec;
const mcp = {
  name: 'files',
  protocol: 'mcp',
  listen: '127.0.0.1:3',
  upstream: { command: 'mcp-server-filesystem', args: ['/data'] },
} as unknown as McpTargetSpec;
const principal: Principal = {
  iss: 'https://issuer.example',
  sub: 'agent-1',
  iat: 0,
  exp: 2 ** 31,
  claims: {},
  triggeredBy: { iss: 'https://idp.example', sub: 'alice', email: 'alice@example.com', groups: ['dba', 'eng'] },
};

function runtime(rules: PolicySpec['rules']) {
  return compilePolicy({
    apiVersion: 'agentgate.dev/v1alpha1',
    kind: 'AgentAccessPolicy',
    metadata: { name: 'p', namespace: 'agents' },
    spec: {
      mode: 'Enforce',
      defaultAction: 'Allow',
      identity: { issuers: [], maxTokenLifetimeSeconds: 900 },
      targets: [http, mcp],
      rules,
      approval: { mode: 'Reject', approvers: { users: ['bob'] } },
      masking: { detectors: ['email'], defaultStrategy: 'redact' },
    },
  } as unknown as AgentAccessPolicy);
}

function memoryAudit(): AuditLog & { records: AuditFields[] } {
  const records: AuditFields[] = [];
  const append = (f: AuditFields) => ({ seq: records.push(f), hash: '' });
  const scope = (shared: Partial<AuditFields>) => {
    const scoped = (f: AuditFields) => append({ ...shared, ...f });
    return { append: scoped, defer: scoped, tryAppend: scoped };
  };
  return { records, healthy: true, append, defer: append, tryAppend: append, scope } as never;
}

const client = { address: '127.0.0.1' };

describe('gate12b: one gate for SQL, HTTP and MCP', () => {
  it('an HTTP approval request names the person who triggered the run and their groups, as a SQL one does', async () => {
    const rt = runtime([
      { name: 'refunds', when: { http: { methods: ['POST'] } }, action: 'RequireApproval' },
    ] as never);
    const broker = new MemoryBroker();
    const audit = memoryAudit();
    const gate = new DirectHttpGate(new Gate({ runtime: () => rt, audit, approvals: broker }));
    const facts = buildFacts(
      'pay',
      'POST',
      parseRequestPath('/refunds'),
      { 'content-type': ['application/json'] },
      Buffer.from('{"amount":500}'),
    );
    const v = await gate.decide({ facts, target: http, principal, sessionId: 's', connectionId: 'c', client });
    expect(v).to.deep.include({ kind: 'refuse', status: 403, rule: 'refunds' });
    expect(broker.asks[0]!.requester).to.deep.include({
      triggeredBy: 'alice',
      triggeredByEmail: 'alice@example.com',
      triggeredByGroups: ['dba', 'eng'],
    });
  });

  it('an MCP call held for approval is recorded masked: the approval.requested line and the Event name no e-mail address', async () => {
    const rt = runtime([{ name: 'mail', when: { mcp: { tools: ['send_*'] } }, action: 'RequireApproval' }] as never);
    const broker = new MemoryBroker();
    const audit = memoryAudit();
    const gate = new McpGate(new Gate({ runtime: () => rt, audit, approvals: broker }));
    const facts = callFacts('files', 'tools/call', { name: 'send_to_carol@example.com', arguments: {} });
    const v = await gate.decide({
      facts,
      target: mcp,
      principal,
      sessionId: 's',
      connectionId: 'c',
      client,
      maskedArguments: '{}',
      requestBytes: 2,
    });
    expect(v).to.deep.include({ kind: 'refuse', status: 403, rule: 'mail' });
    const requested = audit.records.find((r) => r.event.action === 'approval.requested');
    expect(requested?.db?.query?.text).to.be.a('string').and.not.contain('carol@example.com');
    expect(JSON.stringify(audit.records)).not.to.contain('carol@example.com');
  });

  it('a RequireApproval without an approval system is refused with one Event, named RequestDenied, for HTTP and MCP alike', async () => {
    const rt = runtime([
      { name: 'refunds', when: { http: { methods: ['POST'] } }, action: 'RequireApproval' },
      { name: 'mail', when: { mcp: { tools: ['send_*'] } }, action: 'RequireApproval' },
    ] as never);
    const events: string[] = [];
    const services = {
      runtime: () => rt,
      audit: memoryAudit(),
      events: (_t: string, reason: string, message: string) => void events.push(`${reason}: ${message}`),
    };
    const h = await new DirectHttpGate(new Gate(services)).decide({
      facts: buildFacts('pay', 'POST', parseRequestPath('/refunds'), {}, Buffer.alloc(0)),
      target: http,
      principal,
      sessionId: 's',
      connectionId: 'c',
      client,
    });
    const m = await new McpGate(new Gate(services)).decide({
      facts: callFacts('files', 'tools/call', { name: 'send_mail', arguments: {} }),
      target: mcp,
      principal,
      sessionId: 's',
      connectionId: 'c',
      client,
      maskedArguments: '{}',
      requestBytes: 2,
    });
    expect(h).to.deep.include({ kind: 'refuse', status: 403, rule: 'refunds' });
    expect(m).to.deep.include({ kind: 'refuse', status: 403, rule: 'mail' });
    expect((h as { reason: string }).reason).to.contain('the request was refused');
    expect((m as { reason: string }).reason).to.contain('the call was refused');
    expect(events).to.deep.equal([
      'RequestDenied: agent-1 on pay: requires approval by rule "refunds"',
      'RequestDenied: agent-1 on files: tools/call send_mail requires approval by rule "mail"',
    ]);
  });
});
