/**
 * The gate after an approval wait, neighbours of the review's findings: the request's guards run again
 * under the policy in force, an approval under one rule releases nothing another rule holds, a request
 * no longer wanted never claims a one-shot grant (SQL, MCP), and only tools the server listed or a rule
 * names get their own metric label.
 */
import { expect } from 'chai';
import type { ApprovalBroker } from '../../proxy/approvals/broker.js';
import { Gate } from '../../proxy/gate/gate.js';
import { settled } from '../../proxy/gate/verdict.js';
import { McpGate } from '../../proxy/mcp/gate.js';
import type { PolicyRuntime } from '../../proxy/policy/runtime.js';
import type { PolicySpec } from '../../shared/contract/policy-types.js';
import type { ApprovalRequest } from '../../shared/contract/approval-request.js';
import {
  dbTarget as db,
  mcpTarget as mcp,
  mcpCall,
  memoryAudit,
  memoryAuditLog,
  meteredMcpGate,
  policyRuntime,
  sqlOps as ops,
  sqlRun,
} from '../support/gate-fixtures.js';

function policy(spec: Partial<PolicySpec>): PolicyRuntime {
  return policyRuntime({ targets: [db, mcp], approval: { mode: 'Hold', approvers: { users: ['alice'] } }, ...spec });
}

const payroll = { name: 'payroll', when: { sql: { tables: ['payroll'] } }, action: 'RequireApproval' };

/** A broker that approves after `during` ran, and counts what it was asked. */
function broker(during: () => void = () => undefined, grant?: string) {
  const seen = { requests: 0, claims: 0, used: 0 };
  const b: ApprovalBroker = {
    findGrant: () => (grant ? ({ metadata: { name: grant, namespace: 'agents' } } as ApprovalRequest) : undefined),
    request: async () => {
      seen.requests++;
      return { namespace: 'agents', name: 'req-1' };
    },
    waitFor: async () => {
      during();
      return { phase: 'Approved' };
    },
    claim: () => {
      seen.claims++;
      return true;
    },
    markUsed: async () => {
      seen.used++;
    },
  };
  return { b, seen };
}

describe('gatefix: the whole request decided again after an approval wait', () => {
  it('row limits set during the wait deny the write sent with the approved SELECT (the request guard runs again)', async () => {
    let rt = policy({ rules: [payroll] as never });
    const { b, seen } = broker(
      () => (rt = policy({ rules: [payroll] as never, runtimeLimits: { maxRowsAffected: 5 } })),
    );
    const gate = new Gate({ runtime: () => rt, audit: memoryAudit() as never, approvals: b });
    const audit = memoryAudit();
    const v = gate.check(sqlRun(await ops('SELECT * FROM payroll; DELETE FROM orders WHERE id = 1'), { audit }));
    expect(await settled(v)).to.include({ kind: 'refuse', rule: 'limits-single-statement-writes' });
    expect(seen.used, 'no grant spent on a refused query').to.equal(0);
  });

  it('a second statement needing approval under another rule is refused at once: one approval answers one rule', async () => {
    const rt = policy({
      rules: [
        payroll,
        { name: 'orders-approval', when: { sql: { tables: ['orders'] } }, action: 'RequireApproval' },
      ] as never,
    });
    const { b, seen } = broker();
    const gate = new Gate({ runtime: () => rt, audit: memoryAudit() as never, approvals: b });
    const audit = memoryAudit();
    const v = gate.check(sqlRun(await ops('SELECT * FROM payroll; DELETE FROM orders WHERE id = 1'), { audit }));
    expect(v).to.include({ kind: 'refuse', rule: 'orders-approval' });
    expect((v as { reason: string }).reason).to.contain('one approval answers one rule');
    expect(seen.requests).to.equal(0);
  });

  it('a statement that needs another rule’s approval by the time this one is approved is refused, the grant unspent', async () => {
    let rt = policy({ rules: [payroll] as never });
    const { b, seen } = broker(
      () =>
        (rt = policy({
          rules: [
            payroll,
            { name: 'orders-approval', when: { sql: { tables: ['orders'] } }, action: 'RequireApproval' },
          ] as never,
        })),
    );
    const gate = new Gate({ runtime: () => rt, audit: memoryAudit() as never, approvals: b });
    const v = gate.check(sqlRun(await ops('SELECT * FROM payroll; DELETE FROM orders WHERE id = 1')));
    expect(await settled(v)).to.include({ kind: 'refuse', rule: 'orders-approval' });
    expect(seen.used).to.equal(0);
  });

  it('SQL: a statement no longer wanted does not claim an existing one-shot grant', async () => {
    const rt = policy({ rules: [payroll] as never });
    const { b, seen } = broker(undefined, 'apr-1');
    const gate = new Gate({ runtime: () => rt, audit: memoryAudit() as never, approvals: b });
    const audit = memoryAudit();
    const v = gate.check(sqlRun(await ops('SELECT * FROM payroll'), { audit, closed: () => true }));
    expect(await settled(v)).to.equal(undefined);
    expect(seen).to.include({ claims: 0, used: 0 });
    expect(audit.records.map((r) => r.event.action)).not.to.include('approval.grant-used');
  });

  it('MCP: a held call the agent cancelled ends unanswered, the grant unspent and no execution recorded', async () => {
    const rt = policy({
      rules: [{ name: 'writes', when: { mcp: { tools: ['write_file'] } }, action: 'RequireApproval' }] as never,
    });
    let cancelled = false;
    const { b, seen } = broker(() => (cancelled = true));
    const audit = memoryAudit();
    const gate = new McpGate(new Gate({ runtime: () => rt, audit: audit as never, approvals: b }));
    const v = await gate.decide(
      mcpCall('write_file', { path: '/data/a' }, { maskedArguments: '{}', closed: () => cancelled }),
    );
    expect(v).to.include({ kind: 'refuse', rule: 'agent-gone' });
    expect(seen).to.include({ claims: 0, used: 0 });
    expect(audit.records.map((r) => r.event.action)).not.to.include('approval.grant-used');
  });

  it('MCP metrics: a tool the server listed gets its label; a name nobody listed or named counts as _other', async () => {
    const rt = policy({ rules: [] });
    const { gate, metrics, call } = meteredMcpGate(rt, memoryAuditLog());
    gate.toolsListed('files', ['list_dir']);
    await call('list_dir');
    await call('made_up');
    const m = await metrics.registry.metrics();
    expect(m).to.contain('tool="list_dir"');
    expect(m).not.to.contain('made_up');
    expect(m).to.contain('tool="_other"');
  });
});
