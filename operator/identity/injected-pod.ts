/**
 * Whether a pod is one the injector made, and under which policy: only the admission-stamped status
 * annotation says so. The pod webhook strips a preset stamp at CREATE and refuses any UPDATE that adds,
 * changes or removes it (pod-guard.ts), so a container's name or args — which a pod author writes —
 * never make a pod a proxy.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { STATUS } from '../../shared/contract/labels.js';

/** The name of the policy the injector stamped on the pod, if the stamp names one of the pod's namespace. */
export function stampedPolicyOf(pod: V1Pod, namespace: string): string | undefined {
  let ref: unknown;
  try {
    ref = (JSON.parse(pod.metadata?.annotations?.[STATUS] ?? '{}') as { policy?: unknown }).policy;
  } catch {
    return undefined;
  }
  if (typeof ref !== 'string') return undefined;
  const [ns, name, ...rest] = ref.split('/');
  return ns === namespace && name && rest.length === 0 ? name : undefined;
}
