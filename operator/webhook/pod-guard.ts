/**
 * What a pod in an injection-enabled namespace must not bring to admission: anything that gives a
 * container other than the injected sidecar what only the sidecar should have — any policy target's
 * credentials, the sidecar's own token (audience agentgate-proxy), the sidecar's name or volumes, its
 * uid, the node's files (where the sidecar's Secret volume lives), or a way into its processes. This
 * holds for every pod of the namespace, opted in or not. Later UPDATEs may not touch the sidecar, its
 * volumes, or the injector's stamp. Pure functions: the webhook turns a non-empty list of reasons into
 * a denial (these cannot be innocent), and strips a preset status annotation with a warning at CREATE
 * (it is only ever the injector's to write).
 */
import { isDeepStrictEqual } from 'node:util';
import type { V1Container, V1EphemeralContainer, V1Pod, V1SecurityContext, V1Volume } from '@kubernetes/client-node';
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';
import {
  BUSY_POLL_RULE,
  busyPollMicros,
  PROXY_AUDIENCE,
  PROXY_CONTAINER,
  PROXY_GID,
  PROXY_UID,
} from '../../shared/contract/sidecar.js';
import { BUSY_POLL, STATUS } from '../../shared/contract/labels.js';
/** Volume names the injector owns: a pod may neither declare nor mount them. */
const RESERVED_VOLUME = /^agentgate-/;
const PTRACE_CAPS = new Set(['SYS_PTRACE', 'ALL', 'CAP_SYS_PTRACE', 'CAP_ALL']);
/** Capabilities that reach past the container to the node's files (and so the sidecar's Secret volume). */
const HOST_CAPS = new Set(
  ['ALL', 'SYS_ADMIN', 'DAC_READ_SEARCH', 'SYS_MODULE', 'SYS_RAWIO'].flatMap((c) => [c, `CAP_${c}`]),
);

type AnyContainer = V1Container | V1EphemeralContainer;

/** A preset status annotation (it would make the webhook skip injection): removed, with a warning. */
export function stripForgedStatus(pod: V1Pod): { pod: V1Pod; warnings: string[] } {
  if (pod.metadata?.annotations?.[STATUS] === undefined) return { pod, warnings: [] };
  const out = structuredClone(pod);
  delete out.metadata!.annotations![STATUS];
  return { pod: out, warnings: [`agentgate: removed the ${STATUS} annotation; only the injector sets it`] };
}

/** The credentials Secrets of every target of these policies (a namespace's). */
export function credentialSecrets(policies: AgentAccessPolicy[]): Set<string> {
  return new Set(
    policies
      .flatMap((p) => p.spec?.targets ?? [])
      .map((t) => t.credentials?.secretRef?.name)
      .filter((n): n is string => !!n),
  );
}

/**
 * Reasons to refuse any pod of an injection-enabled namespace at CREATE that the webhook does not
 * inject (not opted in, or opted out): it may not pose as a proxy (the sidecar's name, its volumes, a
 * token of its audience) nor hold a target's credentials, directly or through the node's files.
 */
export function podRefusals(pod: V1Pod, credentials: Set<string>): string[] {
  const spec = pod.spec ?? { containers: [] };
  const containers = allContainers(pod);
  const reasons: string[] = [];
  for (const [what, c] of containers) {
    if (c.name === PROXY_CONTAINER) reasons.push(`${what}: the name ${PROXY_CONTAINER} is the sidecar's`);
    reasons.push(...secretReferences(what, c, credentials), ...reservedMounts(what, c));
  }
  for (const v of spec.volumes ?? []) reasons.push(...volumeRefusals(v, credentials));
  reasons.push(...hostRefusals(pod, containers));
  return reasons;
}

/**
 * Reasons to refuse an opted-in pod at CREATE, before injection (empty: admissible). `namespacePolicies`:
 * every policy of the pod's namespace, whose credentials are no agent container's either.
 */
export function createRefusals(
  pod: V1Pod,
  policy: AgentAccessPolicy,
  namespacePolicies: AgentAccessPolicy[] = [],
): string[] {
  const spec = pod.spec ?? { containers: [] };
  const reasons = podRefusals(pod, credentialSecrets([policy, ...namespacePolicies]));
  reasons.push(...identityRefusals(pod, allContainers(pod), !!spec.shareProcessNamespace || !!spec.hostPID));
  const busyPoll = pod.metadata?.annotations?.[BUSY_POLL];
  if (busyPoll !== undefined && busyPollMicros(busyPoll) === undefined)
    reasons.push(`${BUSY_POLL} must be ${BUSY_POLL_RULE}, got ${JSON.stringify(busyPoll)}`);
  return reasons;
}

/**
 * Reasons to refuse a pod UPDATE: the injected sidecar (image or anything else UPDATE permits), the
 * agentgate volumes and the injector's stamp are fixed at CREATE.
 */
export function updateRefusals(oldPod: V1Pod, pod: V1Pod): string[] {
  const reasons: string[] = [];
  if (oldPod.metadata?.annotations?.[STATUS] !== pod.metadata?.annotations?.[STATUS])
    reasons.push(`the ${STATUS} annotation is the injector's, set at CREATE; it cannot be added, changed or removed`);
  const sidecar = (p: V1Pod) =>
    [...(p.spec?.initContainers ?? []), ...(p.spec?.containers ?? []), ...(p.spec?.ephemeralContainers ?? [])].filter(
      (c) => c.name === PROXY_CONTAINER,
    );
  if (!isDeepStrictEqual(sidecar(oldPod), sidecar(pod)))
    reasons.push(`the injected sidecar ${PROXY_CONTAINER} cannot be changed after CREATE`);
  const reserved = (p: V1Pod) => (p.spec?.volumes ?? []).filter((v) => RESERVED_VOLUME.test(v.name));
  if (!isDeepStrictEqual(reserved(oldPod), reserved(pod)))
    reasons.push('the agentgate- volumes cannot be changed after CREATE');
  return reasons;
}

function allContainers(pod: V1Pod): [string, AnyContainer][] {
  const spec = pod.spec ?? { containers: [] };
  return [
    ...(spec.initContainers ?? []).map((c): [string, AnyContainer] => [`initContainer ${c.name}`, c]),
    ...(spec.containers ?? []).map((c): [string, AnyContainer] => [`container ${c.name}`, c]),
    ...(spec.ephemeralContainers ?? []).map((c): [string, AnyContainer] => [`ephemeralContainer ${c.name}`, c]),
  ];
}

/**
 * Reasons to refuse new ephemeral containers (kubectl debug) in any pod of the namespace: they must not
 * read a target's credentials (`namespaceCredentials`: every policy's of the namespace), take the
 * sidecar's name, or reach the node; in an injected pod, not target the sidecar, mount its volumes,
 * or run as its uid either.
 */
export function ephemeralRefusals(
  oldPod: V1Pod | undefined,
  pod: V1Pod,
  namespaceCredentials: Set<string> = new Set(),
): string[] {
  const spec = pod.spec ?? { containers: [] };
  const sidecar = (spec.initContainers ?? []).find((c) => c.name === PROXY_CONTAINER);
  const agentMounts = new Set(spec.containers.flatMap((c) => (c.volumeMounts ?? []).map((m) => m.name)));
  const sidecarOnly = new Set((sidecar?.volumeMounts ?? []).map((m) => m.name).filter((n) => !agentMounts.has(n)));
  const credentials = new Set([
    ...namespaceCredentials,
    ...(spec.volumes ?? [])
      .filter((v) => sidecarOnly.has(v.name) && v.secret?.secretName)
      .map((v) => v.secret!.secretName!),
  ]);
  const existing = new Set((oldPod?.spec?.ephemeralContainers ?? []).map((c) => c.name));
  const reasons: string[] = [];
  const added = (spec.ephemeralContainers ?? []).filter((c) => !existing.has(c.name));
  const addedNamed = added.map((c): [string, AnyContainer] => [`ephemeralContainer ${c.name}`, c]);
  for (const [what, c] of addedNamed) {
    if (c.name === PROXY_CONTAINER) reasons.push(`${what}: the name ${PROXY_CONTAINER} is the sidecar's`);
    if (sidecar && (c as V1EphemeralContainer).targetContainerName === PROXY_CONTAINER)
      reasons.push(`${what} targets the sidecar ${PROXY_CONTAINER}`);
    for (const m of c.volumeMounts ?? [])
      if (sidecarOnly.has(m.name)) reasons.push(`${what} mounts the sidecar's volume ${m.name}`);
    reasons.push(...secretReferences(what, c, credentials));
  }
  reasons.push(...hostRefusals({ spec: { containers: [] } }, addedNamed));
  if (sidecar) reasons.push(...identityRefusals(pod, addedNamed, !!spec.shareProcessNamespace || !!spec.hostPID));
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
  return [...(c.volumeMounts ?? []), ...(c.volumeDevices ?? [])]
    .filter((m) => RESERVED_VOLUME.test(m.name))
    .map((m) => `${what}: mounts ${m.name}, a volume of the agentgate sidecar`);
}

function volumeRefusals(v: V1Volume, credentials: Set<string>): string[] {
  const out: string[] = [];
  if (RESERVED_VOLUME.test(v.name)) out.push(`volume ${v.name}: names starting with agentgate- are the sidecar's`);
  if (v.secret?.secretName && credentials.has(v.secret.secretName))
    out.push(`volume ${v.name}: mounts the target credentials Secret ${v.secret.secretName}`);
  for (const s of v.projected?.sources ?? []) {
    if (s.secret?.name && credentials.has(s.secret.name))
      out.push(`volume ${v.name}: projects the target credentials Secret ${s.secret.name}`);
    if (s.serviceAccountToken?.audience === PROXY_AUDIENCE)
      out.push(`volume ${v.name}: projects a token for audience ${PROXY_AUDIENCE}, the sidecar's own`);
  }
  return out;
}

/**
 * The node's files hold every pod's Secret volumes (the sidecar's credentials under
 * /var/lib/kubelet/pods): no hostPath volume, no privileged container, no capability that reaches past
 * the container's own filesystem (mount, open_by_handle_at, raw devices, modules).
 */
function hostRefusals(pod: V1Pod, containers: [string, AnyContainer][]): string[] {
  const out: string[] = [];
  for (const v of pod.spec?.volumes ?? [])
    if (v.hostPath)
      out.push(
        `volume ${v.name}: hostPath ${v.hostPath.path} exposes the node's files, where the sidecar's credentials are mounted`,
      );
  for (const [what, c] of containers) {
    if (c.name === PROXY_CONTAINER) continue;
    if (c.securityContext?.privileged) out.push(`${what}: privileged containers reach the node's files and processes`);
    const caps = (c.securityContext?.capabilities?.add ?? []).filter((cap) => HOST_CAPS.has(cap.toUpperCase()));
    if (caps.length) out.push(`${what}: adds ${caps.join(', ')}, which reach past the container to the node`);
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
      const caps = (sc.capabilities?.add ?? []).filter(
        (cap) => PTRACE_CAPS.has(cap.toUpperCase()) && !HOST_CAPS.has(cap.toUpperCase()),
      );
      if (caps.length)
        out.push(`${what}: adds ${caps.join(', ')}, in a pod that shares its process namespace with the sidecar`);
    }
  }
  if (podCtx?.fsGroup === PROXY_GID || podCtx?.supplementalGroups?.includes(PROXY_GID))
    out.push(
      `pod securityContext: gid ${PROXY_GID} (fsGroup, supplementalGroups) is reserved for the agentgate sidecar`,
    );
  return out;
}
