/**
 * Whether a proxy may still enforce the policy it holds, as a pure state machine (time injected).
 * It may not — and must fail closed — when its AgentAccessPolicy was deleted, when the compiled
 * ConfigMap is gone or was compiled from an earlier policy of the same name, or when it has not heard
 * from the control plane (the operator, or the API server) for longer than the staleness bound (then it cannot know either).
 */
export const DEFAULT_STALENESS_MS = 60_000;

export interface WatchedObject {
  uid?: string;
}

export class PolicyAvailability {
  /** undefined: not listed yet; null: listed and absent. */
  private policy: WatchedObject | null | undefined;
  private compiled: { uid?: string } | null | undefined;
  private readonly contact = { policy: -Infinity, compiled: -Infinity };

  constructor(
    readonly ref: { namespace: string; name: string },
    readonly stalenessMs = DEFAULT_STALENESS_MS,
  ) {}

  /** A complete answer or an event from the control plane. */
  heard(from: 'policy' | 'compiled', now: number): void {
    this.contact[from] = now;
  }

  setPolicy(p: WatchedObject | null, now: number): void {
    this.policy = p;
    this.heard('policy', now);
  }

  /** The compiled ConfigMap, with the uid of the policy it was compiled from. */
  setCompiled(c: { uid?: string } | null, now: number): void {
    this.compiled = c;
    this.heard('compiled', now);
  }

  /** Why the proxy must refuse statements now, or undefined when its policy is current. */
  reason(now: number): string | undefined {
    const ref = `${this.ref.namespace}/${this.ref.name}`;
    if (this.policy === null) return `policy ${ref} was deleted`;
    if (this.compiled === null)
      return `the compiled policy of ${ref} (ConfigMap agentgate-policy-${this.ref.name}) was deleted`;
    if (this.policy && this.compiled && this.policy.uid && this.compiled.uid && this.policy.uid !== this.compiled.uid) {
      return `policy ${ref} was deleted and created again; waiting for the operator to compile the new one`;
    }
    const silent = now - Math.min(this.contact.policy, this.contact.compiled);
    if (silent > this.stalenessMs) {
      const since = Number.isFinite(silent) ? `for ${Math.round(silent / 1000)} s` : 'since start';
      return `cannot follow policy ${ref}: not read from the control plane ${since} (staleness bound ${Math.round(this.stalenessMs / 1000)} s)`;
    }
    return undefined;
  }
}
