/**
 * A resource reaches the agent by resources/read, and also embedded in a tool result, a prompt message
 * or another read's contents (`{type: "resource", resource: {uri, text|blob}}`, `contents[].uri`). Each
 * embedded resource's URI is decided as a read of it: one the policy would not let the agent read is
 * withheld (its contents replaced by a note naming the rule), whatever carried it.
 */
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
  if (Array.isArray(r.messages))
    out.messages = r.messages.map((m: unknown) => {
      if (!m || typeof m !== 'object') return m;
      const msg = m as Record<string, unknown>;
      return { ...msg, content: Array.isArray(msg.content) ? msg.content.map(block) : block(msg.content) };
    });
  return { result: out as T, withheld };
}
