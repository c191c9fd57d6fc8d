/**
 * One gate for every protocol: HTTP requests and MCP calls go through the same approval flow as SQL
 * (proxy/gate/approval-flow.ts), so what SQL approvals carry, theirs carry too; and the same decision
 * record path (proxy/gate/record.ts), so what the gate masks for SQL it masks for them.
 */
import { expect } from 'chai';
import { Gate } from '../../proxy/gate/gate.js';
import { DirectHttpGate } from '../../proxy/http/direct-gate.js';
import type { Principal } from '../../proxy/identity/verify.js';
import { McpGate } from '../../proxy/mcp/gate.js';
import type { PolicySpec } from '../../shared/contract/policy-types.js';
import {
  httpPost,
  httpTarget as http,
  mcpCall,
  mcpTarget as mcp,
  memoryAuditLog as memoryAudit,
  policyRuntime,
  principal as agent,
} from '../support/gate-fixtures.js';
import { MemoryBroker } from '../support/memory-broker.js';

const principal: Principal = {
  ...agent,
  triggeredBy: { iss: 'https://idp.example', sub: 'alice', email: 'alice@example.com', groups: ['dba', 'eng'] },
};

function runtime(rules: PolicySpec['rules']) {
  return policyRuntime({
    targets: [http, mcp],
    rules,
    approval: { mode: 'Reject', approvers: { users: ['bob'] } },
    masking: { detectors: ['email'], defaultStrategy: 'redact' },
  });
}

describe('gate12b: one gate for SQL, HTTP and MCP', () => {
  it('an HTTP approval request names the person who triggered the run and their groups, as a SQL one does', async () => {
    const rt = runtime([
      { name: 'refunds', when: { http: { methods: ['POST'] } }, action: 'RequireApproval' },
    ] as never);
    const broker = new MemoryBroker();
    const audit = memoryAudit();
    const gate = new DirectHttpGate(new Gate({ runtime: () => rt, audit, approvals: broker }));
    const v = await gate.decide(httpPost('/refunds', '{"amount":500}', { principal }));
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
    const v = await gate.decide(mcpCall('send_to_carol@example.com', {}, { principal }));
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
    const h = await new DirectHttpGate(new Gate(services)).decide(httpPost('/refunds', undefined, { principal }));
    const m = await new McpGate(new Gate(services)).decide(mcpCall('send_mail', {}, { principal }));
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
