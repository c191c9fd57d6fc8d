/**
 * The part of a decision record that does not change between executions of one operation under one
 * policy — `"policy":…,"db":{"query":{"text":<masked>}},<the operation's fields>` — serialized once
 * and kept beside the operation (a prepared statement's classification), instead of masking the text
 * and serializing the same fields again for every Execute.
 *
 * Keyed on the operation's `same` object (its identity says the text and the fields are unchanged:
 * a classification is never changed once resolved) and valid only for the runtime it was computed
 * under: a new policy, a new masker (masking rules), another policy reference or statement-text
 * setting computes it again. What it holds is byte for byte what the fresh computation writes
 * (test/unit/perfcpu-record-cache.test.ts compares the lines).
 */
import type { AuditFields } from '../audit/record.js';
import type { PolicyRuntime } from '../policy/runtime.js';
import type { OperationRecord } from './request.js';

/** Keys the decision record sets around the operation's own fields (record.ts). */
const RECORD_KEYS = new Set(['event', 'policy', 'db', 'protocol', 'decision', 'enforced', 'rule', 'message']);

interface Cached {
  rt: PolicyRuntime;
  masker: PolicyRuntime['masker'];
  ref: PolicyRuntime['ref'];
  includeText: boolean;
  part: StaticPart;
}

/** The record's fields before its `protocol`, and the same serialized without braces (undefined: not separable). */
export interface StaticPart {
  fields: Partial<AuditFields>;
  /** undefined: the fields cannot be serialized apart (a key the record sets too, or an integer-like key JSON reorders). */
  fragment: string | undefined;
}

const cache = new WeakMap<object, Cached>();

/** The fields of a decision record that come before its `protocol`, computed afresh. */
function staticFields(rt: PolicyRuntime, op: OperationRecord, includeText: boolean): Partial<AuditFields> {
  return {
    policy: rt.ref,
    ...(includeText ? { db: { query: { text: rt.masker.maskText(op.text).text } } } : {}),
    ...op.fields,
  };
}

/**
 * The record's fields before its `protocol`: for an operation with a `same` object, computed once per
 * runtime and kept, with their serialization; otherwise computed afresh (and not serialized apart).
 */
export function staticPart(rt: PolicyRuntime, op: OperationRecord, includeText: boolean): StaticPart {
  const key = op.same;
  if (key === undefined) return { fields: staticFields(rt, op, includeText), fragment: undefined };
  const hit = cache.get(key);
  if (
    hit !== undefined &&
    hit.rt === rt &&
    hit.masker === rt.masker &&
    hit.ref === rt.ref &&
    hit.includeText === includeText
  )
    return hit.part;
  const fields = Object.freeze(staticFields(rt, op, includeText));
  const separable = Object.keys(op.fields).every((k) => !RECORD_KEYS.has(k) && !/^\d+$/.test(k));
  const part = Object.freeze({ fields, fragment: separable ? JSON.stringify(fields).slice(1, -1) : undefined });
  cache.set(key, { rt, masker: rt.masker, ref: rt.ref, includeText, part });
  return part;
}
