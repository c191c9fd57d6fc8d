/**
 * Kubernetes Events for the objects the operator manages, de-duplicated: the same reason and message
 * on the same object bumps the existing Event's count instead of creating a new one, so a flapping
 * object cannot flood the API server.
 */
import { type CoreV1Api, type KubernetesObject } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { mergePatch } from './kube.js';

export type EventType = 'Normal' | 'Warning';

export class EventRecorder {
  private readonly series = new Map<string, { name: string; count: number }>();

  constructor(private readonly core: CoreV1Api, private readonly component = 'agentgate-operator', private readonly now: () => Date = () => new Date()) {}

  async emit(obj: KubernetesObject, type: EventType, reason: string, message: string): Promise<void> {
    const ns = obj.metadata?.namespace ?? 'default';
    const key = `${obj.metadata?.uid}|${type}|${reason}|${message}`;
    const time = this.now().toISOString();
    const existing = this.series.get(key);
    if (existing) {
      existing.count++;
      try {
        await this.core.patchNamespacedEvent({ name: existing.name, namespace: ns, body: { count: existing.count, lastTimestamp: time } }, mergePatch);
        return;
      } catch {
        this.series.delete(key); // expired or deleted: start a new one
      }
    }
    const name = `${obj.metadata?.name}.${randomBytes(6).toString('hex')}`;
    await this.core.createNamespacedEvent({
      namespace: ns,
      body: {
        metadata: { name, namespace: ns },
        involvedObject: { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata?.name, namespace: ns, uid: obj.metadata?.uid, resourceVersion: obj.metadata?.resourceVersion },
        type,
        reason,
        message: message.slice(0, 1024),
        source: { component: this.component },
        reportingComponent: this.component,
        reportingInstance: this.component,
        firstTimestamp: time as unknown as Date,
        lastTimestamp: time as unknown as Date,
        count: 1,
      },
    });
    this.series.set(key, { name, count: 1 });
    if (this.series.size > 10_000) this.series.delete(this.series.keys().next().value!);
  }
}
