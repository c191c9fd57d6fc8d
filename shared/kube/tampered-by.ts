/**
 * Who last changed an object besides the operator, as the API server's managedFields record it (the
 * field manager: kubectl's `kubectl-edit`, `kubectl-patch`, … or a client's own name, with the
 * operation and time). It names the tool, not the user: the API server's audit log has the user.
 */
import type { V1ObjectMeta } from '@kubernetes/client-node';

export function tamperedBy(obj: { metadata?: V1ObjectMeta }, operatorManager: string): string | undefined {
  const others = (obj.metadata?.managedFields ?? []).filter(
    (f) => f.manager !== operatorManager && f.manager !== undefined,
  );
  const time = (t: unknown): number => (t ? new Date(t as string).getTime() : 0);
  const latest = others.sort((a, b) => time(b.time) - time(a.time))[0];
  if (!latest) return undefined;
  const when = latest.time ? ` at ${new Date(latest.time as unknown as string).toISOString()}` : '';
  return `field manager "${latest.manager}" (${latest.operation ?? 'unknown operation'}${when})`;
}
