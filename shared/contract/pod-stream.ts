/**
 * The audit stream of a pod: namespace/name/uid. The uid makes a pod re-created under the same name a
 * new stream (its chain starts again at seq 1); the name is there for people reading it.
 */
export function podStream(pod: { namespace: string; name: string; uid?: string }): string {
  return pod.uid ? `${pod.namespace}/${pod.name}/${pod.uid}` : `${pod.namespace}/${pod.name}`;
}
