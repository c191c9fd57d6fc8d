/**
 * The policy object is the only source of truth. What a proxy enforces is derived from the
 * AgentAccessPolicy alone: its spec once the operator's status says it compiled exactly that
 * generation, the change stamp from `status.history`, the run-token issuer from `status.runTokenIssuer`
 * (status is written by the operator alone). The compiled ConfigMap is a copy that anyone with
 * ConfigMap rights in the namespace can edit: it is only ever compared with what the operator would
 * write (tamper detection), or — when the current generation is not compiled — accepted if its spec
 * hashes to the last compiled generation in the history.
 */
import { isDeepStrictEqual } from 'node:util';
import { CHANGED_AT, CHANGED_BY, SPEC_SHA256 } from './labels.js';
import { specSha256 } from './spec-sha256.js';
import { RUN_TOKEN_ISSUER_ANNOTATION, TOOL_BASELINES_ANNOTATION } from './labels.js';
import type { AgentAccessPolicy } from './policy-types.js';

export interface PolicyHistoryEntry {
  generation: number;
  specSha256: string;
  changedBy?: string;
  changedAt?: string;
  outcome: 'Compiled' | 'Invalid';
}

export interface PolicyObjectWithStatus {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    generation?: number;
    annotations?: Record<string, string>;
  };
  spec?: AgentAccessPolicy['spec'];
  status?: {
    observedGeneration?: number;
    conditions?: { type: string; status: string; observedGeneration?: number }[];
    history?: PolicyHistoryEntry[];
    runTokenIssuer?: string;
    toolDefinitionBaselines?: { target: string; tool: string; sha256: string }[];
  };
}

/** The status's first-seen tool fingerprints as the annotation compiled documents carry (none: no annotation). */
function baselinesAnnotation(obj: PolicyObjectWithStatus): Record<string, string> {
  const list = (obj.status?.toolDefinitionBaselines ?? []).map(({ target, tool, sha256 }) => ({
    target,
    tool,
    sha256,
  }));
  return list.length ? { [TOOL_BASELINES_ANNOTATION]: JSON.stringify(list) } : {};
}

/** The first-seen fingerprints a compiled document carries, by target and tool (`target\ntool`). */
export function toolBaselinesOf(doc: Pick<AgentAccessPolicy, 'metadata'>): Map<string, string> {
  const out = new Map<string, string>();
  const raw = doc.metadata?.annotations?.[TOOL_BASELINES_ANNOTATION];
  if (!raw) return out;
  for (const b of JSON.parse(raw) as { target: string; tool: string; sha256: string }[])
    if (!out.has(`${b.target}\n${b.tool}`)) out.set(`${b.target}\n${b.tool}`, b.sha256);
  return out;
}

/** The document the operator writes into the compiled ConfigMap for this object (stamp only if it is for this spec). */
export function compiledDocument(obj: PolicyObjectWithStatus, runTokenIssuer?: string): AgentAccessPolicy {
  const ann = obj.metadata.annotations ?? {};
  const stamp =
    ann[SPEC_SHA256] === specSha256(obj.spec) && ann[CHANGED_BY]
      ? {
          [CHANGED_BY]: ann[CHANGED_BY],
          ...(ann[CHANGED_AT] ? { [CHANGED_AT]: ann[CHANGED_AT] } : {}),
          [SPEC_SHA256]: ann[SPEC_SHA256],
        }
      : {};
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    metadata: {
      name: obj.metadata.name,
      namespace: obj.metadata.namespace,
      generation: obj.metadata.generation,
      uid: obj.metadata.uid,
      annotations: {
        ...stamp,
        ...(runTokenIssuer ? { [RUN_TOKEN_ISSUER_ANNOTATION]: runTokenIssuer } : {}),
        ...baselinesAnnotation(obj),
      },
    },
    spec: obj.spec,
  } as AgentAccessPolicy;
}

/** Did the operator compile exactly this generation (Ready=True for it)? */
export function compiledCurrent(obj: PolicyObjectWithStatus): boolean {
  const generation = obj.metadata.generation ?? 0;
  const ready = obj.status?.conditions?.find((c) => c.type === 'Ready');
  return (
    obj.status?.observedGeneration === generation &&
    ready?.status === 'True' &&
    ready.observedGeneration === generation &&
    obj.status.history?.at(-1)?.generation === generation
  );
}

/** The newest generation the operator compiled, as its history records it. */
export function lastCompiled(obj: PolicyObjectWithStatus): PolicyHistoryEntry | undefined {
  return [...(obj.status?.history ?? [])].reverse().find((h) => h.outcome === 'Compiled');
}

/** A document built from trusted parts only: this spec, generation and uid, the history's stamp, the status's issuer. */
function trustedDocument(
  obj: PolicyObjectWithStatus,
  spec: AgentAccessPolicy['spec'],
  entry: PolicyHistoryEntry,
): AgentAccessPolicy {
  const stamp = entry.changedBy
    ? {
        [CHANGED_BY]: entry.changedBy,
        ...(entry.changedAt ? { [CHANGED_AT]: entry.changedAt } : {}),
        [SPEC_SHA256]: entry.specSha256,
      }
    : {};
  const issuer = obj.status?.runTokenIssuer;
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    metadata: {
      name: obj.metadata.name,
      ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}),
      generation: entry.generation,
      ...(obj.metadata.uid ? { uid: obj.metadata.uid } : {}),
      annotations: {
        ...stamp,
        ...(issuer ? { [RUN_TOKEN_ISSUER_ANNOTATION]: issuer } : {}),
        ...baselinesAnnotation(obj),
      },
    },
    spec: structuredClone(spec),
  } as AgentAccessPolicy;
}

export type TrustedPolicy = { policy: AgentAccessPolicy; from: 'policy' | 'configmap' } | { reason: string };

/**
 * What the proxy may enforce: the object's own spec when the operator compiled this generation;
 * otherwise the ConfigMap's spec if it hashes to the last compiled generation (its metadata is rebuilt
 * from the object, never taken from the ConfigMap); otherwise nothing, with the reason.
 */
export function trustedPolicy(obj: PolicyObjectWithStatus, configMapDocument?: unknown): TrustedPolicy {
  const ref = `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
  if (compiledCurrent(obj) && obj.spec) {
    const entry = obj.status!.history!.at(-1)!;
    if (entry.specSha256 !== specSha256(obj.spec))
      return { reason: `policy ${ref}: its spec does not hash to the generation the operator compiled` };
    return { policy: trustedDocument(obj, obj.spec, entry), from: 'policy' };
  }
  const last = lastCompiled(obj);
  if (!last) return { reason: `policy ${ref} has no compiled generation yet (status.history)` };
  const doc = configMapDocument as Partial<AgentAccessPolicy> | undefined;
  if (
    !doc?.spec ||
    doc.metadata?.uid !== obj.metadata.uid ||
    doc.metadata?.generation !== last.generation ||
    specSha256(doc.spec) !== last.specSha256
  ) {
    return {
      reason: `policy ${ref}: generation ${obj.metadata.generation ?? 0} is not compiled and the compiled ConfigMap does not hold generation ${last.generation} as the operator compiled it`,
    };
  }
  return { policy: trustedDocument(obj, doc.spec, last), from: 'configmap' };
}

/**
 * Whether a compiled ConfigMap's document is one the operator produced for this object: exactly what
 * it writes for the current generation, or the last compiled generation (spec hash, uid, issuer).
 * Returns the difference (never quoting the ConfigMap's own values), or undefined when it matches.
 */
export function compiledMismatch(
  obj: PolicyObjectWithStatus,
  configMapDocument: unknown,
  runTokenIssuer = obj.status?.runTokenIssuer,
): string | undefined {
  const doc = configMapDocument as Partial<AgentAccessPolicy> | undefined;
  if (!doc || typeof doc !== 'object') return 'it holds no compiled policy document';
  if (isDeepStrictEqual(doc, JSON.parse(JSON.stringify(compiledDocument(obj, runTokenIssuer))))) return undefined;
  const last = lastCompiled(obj);
  const issuer = doc.metadata?.annotations?.[RUN_TOKEN_ISSUER_ANNOTATION];
  if (
    last &&
    doc.spec &&
    doc.metadata?.uid === obj.metadata.uid &&
    doc.metadata?.generation === last.generation &&
    specSha256(doc.spec) === last.specSha256 &&
    issuer === runTokenIssuer
  ) {
    const a = doc.metadata?.annotations ?? {};
    const stampOk = (a[CHANGED_BY] ?? undefined) === last.changedBy && (a[CHANGED_AT] ?? undefined) === last.changedAt;
    if (stampOk) return undefined;
    return `its change stamp is not the one recorded for generation ${last.generation} (changed by ${last.changedBy ?? 'an unrecorded user'})`;
  }
  if (doc.metadata?.generation === obj.metadata.generation && doc.spec && specSha256(doc.spec) !== specSha256(obj.spec))
    return `its rules differ from generation ${obj.metadata.generation ?? 0} of the policy`;
  if (issuer !== runTokenIssuer) return `its run-token issuer is not the operator's (${runTokenIssuer ?? 'none'})`;
  return 'it is not the document the operator compiled';
}
