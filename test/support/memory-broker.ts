/** An in-memory ApprovalBroker standing in for the operator: grants by sha256, decisions settled by the test. */
import type { ApprovalBroker } from '../../proxy/approvals/broker.js';
import type { ApprovalAsk, ApprovalPhase, ApprovalRequest } from '../../shared/contract/approval-request.js';

export class MemoryBroker implements ApprovalBroker {
  asks: ApprovalAsk[] = [];
  approved = new Set<string>();
  private decide = new Map<string, (phase: ApprovalPhase) => void>();
  findGrant(g: { sha256: string }): ApprovalRequest | undefined {
    return this.approved.has(g.sha256)
      ? ({ metadata: { name: `apr-${g.sha256.slice(0, 8)}`, namespace: 'agents' } } as ApprovalRequest)
      : undefined;
  }
  async request(ask: ApprovalAsk): Promise<{ namespace: string; name: string }> {
    this.asks.push(ask);
    return { namespace: 'agents', name: `apr-${ask.command.sha256.slice(0, 8)}` };
  }
  waitFor(name: string): Promise<{ phase: ApprovalPhase | 'Timeout' | 'Unverified' }> {
    return new Promise((resolve) => this.decide.set(name, (phase) => resolve({ phase })));
  }
  /** Decides a held request once the proxy waits on it. */
  async settle(name: string, phase: ApprovalPhase): Promise<void> {
    while (!this.decide.has(name)) await new Promise((r) => setTimeout(r, 20));
    this.decide.get(name)!(phase);
    this.decide.delete(name);
  }
  claim(): boolean {
    return true;
  }
  async markUsed(): Promise<void> {}
}
