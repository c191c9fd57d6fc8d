/**
 * A resource reaches the agent by resources/read, and also embedded in a tool result, a prompt message
 * or another read's contents (`{type: "resource", resource: {uri, text|blob}}`, `contents[].uri`), and
 * anywhere in a tool's `structuredContent` (which mirrors `content` for clients that read it instead:
 * there any `{type: "resource", resource}` and any `{uri, text|blob}` is a resource). Each embedded
 * resource's URI is decided as a read of it: one the policy would not let the agent read is withheld
 * (its contents replaced by a note naming the rule), whatever carried it.
 */
import { MAX_JSON_DEPTH } from './json-depth.js';

const TOO_DEEP = Symbol('too deep');

export interface EmbeddedVerdict {
  blocked: boolean;
  rule: string;
}

export function withheldNote(uri: string, rule: string): string {
  return `[resource ${uri} withheld by agentgate: a read of it is not allowed (rule "${rule}")]`;
}

/** A copy of `result` with every embedded resource the policy would not let the agent read withheld. */
export function withholdEmbedded<T>(
  result: T,
  read: (uri: string) => EmbeddedVerdict,
): { result: T; withheld: number } {
  let withheld = 0;
  const resource = (r: unknown): unknown => {
    if (!r || typeof r !== 'object') return r;
    const x = r as Record<string, unknown>;
    // A resource without a string URI cannot be decided: withheld.
    const uri = typeof x.uri === 'string' ? x.uri : undefined;
    const v = uri === undefined ? { blocked: true, rule: 'resource-without-uri' } : read(uri);
    if (!v.blocked) return r;
    withheld++;
    return { uri: uri ?? '', mimeType: 'text/plain', text: withheldNote(uri ?? '(none)', v.rule) };
  };
  const structured = (v: unknown, depth: number): unknown => {
    if (!v || typeof v !== 'object') return v;
    if (depth > MAX_JSON_DEPTH) return TOO_DEEP;
    let deep = false;
    const each = (x: unknown): unknown => {
      const w = structured(x, depth + 1);
      if (w === TOO_DEEP) deep = true;
      return w;
    };
    if (Array.isArray(v)) {
      const a = v.map(each);
      return deep ? TOO_DEEP : a;
    }
    const o = v as Record<string, unknown>;
    if (o.type === 'resource' && o.resource && typeof o.resource === 'object') {
      const checked = resource(o.resource);
      return checked === o.resource ? o : { ...o, resource: checked };
    }
    if (typeof o.uri === 'string' && ('text' in o || 'blob' in o)) return resource(o);
    // fromEntries defines own properties: a `__proto__` key stays a key.
    const copy = Object.fromEntries(Object.entries(o).map(([k, x]) => [k, each(x)]));
    return deep ? TOO_DEEP : copy;
  };
  const block = (c: unknown): unknown => {
    if (!c || typeof c !== 'object') return c;
    const b = c as Record<string, unknown>;
    return b.type === 'resource' ? { ...b, resource: resource(b.resource) } : c;
  };
  const r = result as Record<string, unknown>;
  if (!r || typeof r !== 'object') return { result, withheld };
  const out: Record<string, unknown> = { ...r };
  if (Array.isArray(r.content)) out.content = r.content.map(block);
  if (Array.isArray(r.contents)) out.contents = r.contents.map(resource);
  if (r.structuredContent !== undefined) {
    const walked = structured(r.structuredContent, 0);
    // Deeper than a message may be: not walked, so not passed on.
    if (walked === TOO_DEEP) {
      withheld++;
      delete out.structuredContent;
    } else out.structuredContent = walked;
  }
  if (Array.isArray(r.messages))
    out.messages = r.messages.map((m: unknown) => {
      if (!m || typeof m !== 'object') return m;
      const msg = m as Record<string, unknown>;
      return { ...msg, content: Array.isArray(msg.content) ? msg.content.map(block) : block(msg.content) };
    });
  return { result: out as T, withheld };
}
