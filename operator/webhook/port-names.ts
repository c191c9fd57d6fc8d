/**
 * Names of the sidecar's container ports, one per target. The API server refuses the whole pod when a
 * name is not an IANA service name (at most 15 characters, lowercase letters, digits and single inner
 * hyphens, at least one letter) or is used twice in the container, so `ag-<target>` cut to 15 characters
 * is not enough: targets sharing a 12-character prefix, a cut that ends in a hyphen, a target named
 * "health", or "a--b" would each make the injected pod invalid.
 */
import { createHash } from 'node:crypto';

export const HEALTH_PORT_NAME = 'ag-health';

const IANA_SVC_NAME = /^(?=.{1,15}$)(?=.*[a-z])[a-z0-9]+(-[a-z0-9]+)*$/;

export const isPortName = (name: string): boolean => IANA_SVC_NAME.test(name);

/** One valid, distinct port name per target name (same order); deterministic. */
export function targetPortNames(targets: string[]): string[] {
  const taken = new Set([HEALTH_PORT_NAME]);
  return targets.map((target) => {
    let name = `ag-${target}`;
    if (!isPortName(name) || taken.has(name)) {
      // ag-<readable prefix>-<4 hex of the target name>, still distinct if two hashes meet.
      const prefix = target.replace(/-+/g, '-').slice(0, 6).replace(/-$/, '');
      const hash = createHash('sha256').update(target).digest('hex');
      for (let i = 0; ; i++) {
        name = `ag-${prefix}-${i < 16 ? hash.slice(4 * i, 4 * i + 4) : i}`;
        if (isPortName(name) && !taken.has(name)) break;
      }
    }
    taken.add(name);
    return name;
  });
}
