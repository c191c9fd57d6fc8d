/**
 * What the SQL approval integration tests share: the local stack with its `payroll` rule turned into
 * `payroll-approval` (RequireApproval, held up to 60 s, approvals from an in-memory broker), a broker that
 * counts the grants marked Used, the name of the first approval asked for, and the audit file's records.
 */
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import type { AgentAccessPolicy, RuleSpec } from '../../shared/contract/policy-types.js';
import { MemoryBroker } from './memory-broker.js';

/** A MemoryBroker that records the name of every grant marked Used. */
export class CountingBroker extends MemoryBroker {
  used: string[] = [];
  override async markUsed(name?: string): Promise<void> {
    this.used.push(String(name));
  }
}

export const payrollNeedsApproval: RuleSpec = {
  name: 'payroll-approval',
  when: { sql: { tables: ['payroll.*'] } },
  action: 'RequireApproval',
};

/** The local stack, its `payroll` rule replaced by `payroll-approval`, holding for `broker` (Hold, 60 s). */
export const startPayrollApprovalStack = (broker: MemoryBroker): Promise<LocalStack> =>
  startLocalStack({
    proxyOptions: { approvals: broker },
    editPolicy: (p) => {
      p.spec.rules = p.spec.rules!.map((r) => (r.name === 'payroll' ? payrollNeedsApproval : r));
      p.spec.approval = { mode: 'Hold', timeoutSeconds: 60, approvers: { users: ['alice'] } } as never;
    },
  });

/** `base` with `rule` ahead of its rules. */
export const withRule = (base: AgentAccessPolicy, rule: RuleSpec): AgentAccessPolicy => {
  const p = structuredClone(base);
  p.spec.rules = [rule, ...p.spec.rules!];
  return p;
};

/** The name of the first approval `broker` is asked for, once it is asked. */
export async function firstApprovalName(broker: MemoryBroker): Promise<string> {
  while (broker.asks.length === 0) await new Promise((r) => setTimeout(r, 20));
  return `apr-${broker.asks[0]!.command.sha256.slice(0, 8)}`;
}
