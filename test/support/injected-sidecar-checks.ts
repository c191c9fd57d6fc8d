/**
 * What shows that a run of test/bench/cluster-sidecar.ts measured the sidecar as injected: the process was
 * started as the injector starts it (cluster mode, the operator's URLs), it reached the operator (the
 * operator witnessed its audit chain), and it decided each session's statement for the pod's agent.
 */
import type { ClusterSidecarMemory } from '../bench/cluster-sidecar.js';

type AuditLine = {
  event: { action: string };
  policy?: { namespace?: string };
  principal?: { kubernetes?: { pod?: string } };
};

export function injectedSidecarProblems(m: Pick<ClusterSidecarMemory, 'argv' | 'audit'>, sessions: number): string[] {
  const problems: string[] = [];
  const args = m.argv.slice(m.argv.indexOf('proxy'));
  if (args[0] !== 'proxy') problems.push('the measured process is not `agentgate proxy`');
  const ref = args[args.indexOf('--policy-ref') + 1] ?? '';
  if (!args.includes('--policy-ref') || !/^bench-sidecar\d+-[a-z0-9]+\/billing-agent$/.test(ref))
    problems.push('not in cluster mode (--policy-ref)');
  for (const flag of ['--operator-url', '--checkpoint-url'])
    if (!args.includes(flag)) problems.push(`lacks the injector's ${flag}`);
  for (const flag of ['--policy', '--no-audit-stdout'])
    if (args.includes(flag)) problems.push(`has ${flag}, which the injector never sets`);
  const records = m.audit
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditLine);
  if (!records.some((r) => r.event.action === 'audit.checkpoint'))
    problems.push('no checkpoint witnessed by the operator: the sidecar never reached it');
  const decided = records.filter((r) => r.event.action === 'statement.decision');
  if (decided.length !== sessions) problems.push(`${decided.length} statements decided, not ${sessions}`);
  if (!decided.every((r) => r.principal?.kubernetes?.pod === 'agent-pod'))
    problems.push('a statement not decided for the pod-bound agent');
  return problems;
}
