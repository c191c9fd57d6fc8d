import { loadPolicyFile } from '../../proxy/policy/load.js';

export function runPolicyValidate(file: string): number {
  const { policy } = loadPolicyFile(file);
  process.stdout.write(
    `ok: ${policy.metadata.name} (${policy.spec.targets.length} targets, ${policy.spec.rules?.length ?? 0} rules)\n`,
  );
  return 0;
}
