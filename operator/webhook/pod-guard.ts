/**
 * What an opted-in pod must not bring to admission: anything that gives its agent containers what only
 * the sidecar should have — the targets' credentials, the sidecar's own token (audience
 * agentgate-proxy), the sidecar's volumes, its uid, or a way into its processes. Pure functions: the
 * webhook turns a non-empty list of reasons into a denial (these cannot be innocent), and strips a
 * preset status annotation with a warning (it is only ever the injector's to write).
 */
import type { V1Container, V1EphemeralContainer, V1Pod, V1SecurityContext, V1Volume } from '@kubernetes/client-node';
import type { AgentAccessPolicy } from '../../proxy/policy/types.js';
import { PROXY_AUDIENCE, PROXY_CONTAINER, PROXY_GID, PROXY_UID, STATUS } from './inject.js';
/** Volume names the injector owns: a pod may neither declare nor mount them. */
const RESERVED_VOLUME = /^agentgate-/;
const PTRACE_CAPS = new Set(['SYS_PTRACE', 'ALL', 'CAP_SYS_PTRACE', 'CAP_ALL']);

type AnyContainer = V1Container | V1EphemeralContainer;

/** A preset status annotation (it would make the webhook skip injection): removed, with a warning. */
export function stripForgedStatus(pod: V1Pod): { pod: V1Pod; warnings: string[] } {
  if (pod.metadata?.annotations?.[STATUS] === undefined) return { pod, warnings: [] };
  const out = structuredClone(pod);
  delete out.metadata!.annotations![STATUS];
  return { pod: out, warnings: [`agentgate: removed the ${STATUS} annotation; only the injector sets it`] };
}

/** Reasons to refuse an opted-in pod at CREATE, before injection (empty: admissible). */
export function createRefusals(pod: V1Pod, policy: AgentAccessPolicy): string[] {
  const spec = pod.spec ?? { containers: [] };
  const credentials = new Set(policy.spec.targets.map((t) => t.credentials.secretRef?.name).filter((n): n is string => !!n));
  const reasons: string[] = [];
  const containers: [string, AnyContainer][] = [
    ...(spec.initContainers ?? []).map((c): [string, AnyContainer] => [`initContainer ${c.name}`, c]),
    ...spec.containers.map((c): [string, AnyContainer] => [`container ${c.name}`, c]),
    ...(spec.ephemeralContainers ?? []).map((c): [string, AnyContainer] => [`ephemeralContainer ${c.name}`, c]),
  ];
  for (const [what, c] of containers) {
    if (c.name === PROXY_CONTAINER) reasons.push(`${what}: the name ${PROXY_CONTAINER} is the sidecar's`);
    reasons.push(...secretReferences(what, c, credentials), ...reservedMounts(what, c));
  }
  for (const v of spec.volumes ?? []) reasons.push(...volumeRefusals(v, credentials));
  reasons.push(...identityRefusals(pod, containers, !!spec.shareProcessNamespace || !!spec.hostPID));
  return reasons;
}

/**
 * Reasons to refuse new ephemeral containers (kubectl debug) in an injected pod: they must not target
 * the sidecar, mount its volumes, read the credentials, or run as its uid.
 */
export function ephemeralRefusals(oldPod: V1Pod | undefined, pod: V1Pod): string[] {
  const spec = pod.spec ?? { containers: [] };
  const sidecar = (spec.initContainers ?? []).find((c) => c.name === PROXY_CONTAINER);
  if (!sidecar) return [];
  const agentMounts = new Set(spec.containers.flatMap((c) => (c.volumeMounts ?? []).map((m) => m.name)));
  const sidecarOnly = new Set((sidecar.volumeMounts ?? []).map((m) => m.name).filter((n) => !agentMounts.has(n)));
  const credentials = new Set((spec.volumes ?? []).filter((v) => sidecarOnly.has(v.name) && v.secret?.secretName).map((v) => v.secret!.secretName!));
  const existing = new Set((oldPod?.spec?.ephemeralContainers ?? []).map((c) => c.name));
  const reasons: string[] = [];
  const added = (spec.ephemeralContainers ?? []).filter((c) => !existing.has(c.name));
  for (const c of added) {
    const what = `ephemeralContainer ${c.name}`;
    if (c.targetContainerName === PROXY_CONTAINER) reasons.push(`${what} targets the sidecar ${PROXY_CONTAINER}`);
    for (const m of c.volumeMounts ?? []) if (sidecarOnly.has(m.name)) reasons.push(`${what} mounts the sidecar's volume ${m.name}`);
    reasons.push(...secretReferences(what, c, credentials));
  }
  reasons.push(...identityRefusals(pod, added.map((c) => [`ephemeralContainer ${c.name}`, c]), !!spec.shareProcessNamespace || !!spec.hostPID));
  return reasons;
}

function secretReferences(what: string, c: AnyContainer, credentials: Set<string>): string[] {
  const out: string[] = [];
  for (const e of c.env ?? []) {
    const name = e.valueFrom?.secretKeyRef?.name;
    if (name && credentials.has(name)) out.push(`${what}: env ${e.name} reads the target credentials Secret ${name}`);
  }
  for (const e of c.envFrom ?? []) {
    const name = e.secretRef?.name;
    if (name && credentials.has(name)) out.push(`${what}: envFrom reads the target credentials Secret ${name}`);
  }
  return out;
}

function reservedMounts(what: string, c: AnyContainer): string[] {
  return [...(c.volumeMounts ?? []), ...(c.volumeDevices ?? [])].filter((m) => RESERVED_VOLUME.test(m.name)).map((m) => `${what}: mounts ${m.name}, a volume of the agentgate sidecar`);
}

function volumeRefusals(v: V1Volume, credentials: Set<string>): string[] {
  const out: string[] = [];
  if (RESERVED_VOLUME.test(v.name)) out.push(`volume ${v.name}: names starting with agentgate- are the sidecar's`);
  if (v.secret?.secretName && credentials.has(v.secret.secretName)) out.push(`volume ${v.name}: mounts the target credentials Secret ${v.secret.secretName}`);
  for (const s of v.projected?.sources ?? []) {
    if (s.secret?.name && credentials.has(s.secret.name)) out.push(`volume ${v.name}: projects the target credentials Secret ${s.secret.name}`);
    if (s.serviceAccountToken?.audience === PROXY_AUDIENCE) out.push(`volume ${v.name}: projects a token for audience ${PROXY_AUDIENCE}, the sidecar's own`);
  }
  return out;
}

/**
 * The sidecar's uid is its alone. Where processes are shared (shareProcessNamespace, hostPID), an agent
 * container that is privileged or can ptrace could read the sidecar's memory and files through /proc.
 */
function identityRefusals(pod: V1Pod, containers: [string, AnyContainer][], sharedProcesses: boolean): string[] {
  const podCtx = pod.spec?.securityContext;
  const out: string[] = [];
  for (const [what, c] of containers) {
    if (c.name === PROXY_CONTAINER) continue;
    const sc: V1SecurityContext = c.securityContext ?? {};
    const uid = sc.runAsUser ?? podCtx?.runAsUser;
    const gid = sc.runAsGroup ?? podCtx?.runAsGroup;
    if (uid === PROXY_UID) out.push(`${what}: runs as uid ${PROXY_UID}, reserved for the agentgate sidecar`);
    if (gid === PROXY_GID) out.push(`${what}: runs as gid ${PROXY_GID}, reserved for the agentgate sidecar`);
    if (sharedProcesses) {
      if (sc.privileged) out.push(`${what}: privileged, in a pod that shares its process namespace with the sidecar`);
      const caps = (sc.capabilities?.add ?? []).filter((cap) => PTRACE_CAPS.has(cap.toUpperCase()));
      if (caps.length) out.push(`${what}: adds ${caps.join(', ')}, in a pod that shares its process namespace with the sidecar`);
    }
  }
  if (podCtx?.fsGroup === PROXY_GID || podCtx?.supplementalGroups?.includes(PROXY_GID)) out.push(`pod securityContext: gid ${PROXY_GID} (fsGroup, supplementalGroups) is reserved for the agentgate sidecar`);
  return out;
}
