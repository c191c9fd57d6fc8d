/**
 * Change management for AgentAccessPolicy, as a pure function for the mutating webhook: every create
 * and every spec change is stamped with who made it (the API server's userInfo), when, and the spec's
 * sha256. The stamps cannot be forged or edited by hand — a request that sets them otherwise gets them
 * overwritten (spec changed) or restored (spec unchanged). The operator turns the stamps into
 * `status.history` and Events; the proxies record them with the policy version they enforce.
 */
import { isDeepStrictEqual } from 'node:util';
import type { UserInfo } from '../approvals/admission.js';
import { CHANGED_AT, CHANGED_BY, SPEC_SHA256 } from '../../shared/contract/labels.js';
import { specSha256 } from '../../shared/contract/spec-sha256.js';

const STAMPS = [CHANGED_BY, CHANGED_AT, SPEC_SHA256] as const;

interface PolicyLike {
  metadata?: { annotations?: Record<string, string> };
  spec?: unknown;
}

/** The object as it should be stored, or undefined when it already is. */
export function stampPolicyChange<T extends PolicyLike>(
  operation: 'CREATE' | 'UPDATE',
  oldObj: T | undefined,
  newObj: T,
  user: UserInfo,
  now: Date,
): T | undefined {
  const out = structuredClone(newObj);
  const ann = { ...(out.metadata?.annotations ?? {}) };
  const specChanged = operation === 'CREATE' || !oldObj || !isDeepStrictEqual(oldObj.spec, newObj.spec);
  if (specChanged) {
    ann[CHANGED_BY] = user.username ?? 'unknown';
    ann[CHANGED_AT] = now.toISOString();
    ann[SPEC_SHA256] = specSha256(newObj.spec);
  } else {
    const old = oldObj.metadata?.annotations ?? {};
    for (const k of STAMPS) {
      if (old[k] === undefined) delete ann[k];
      else ann[k] = old[k];
    }
  }
  if (isDeepStrictEqual(ann, newObj.metadata?.annotations ?? {})) return undefined;
  out.metadata = { ...(out.metadata ?? {}), annotations: ann };
  return out;
}
