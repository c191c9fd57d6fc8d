/**
 * Masks what an MCP server returns to the agent: tool results (text content, embedded resources,
 * structuredContent), resource contents and prompt messages, with the same detectors and field rules
 * as HTTP JSON (JsonMasker). Text that is a JSON document is masked as JSON (field rules apply inside
 * it); other text through the detectors. Binary content (images, audio, blobs) cannot be inspected: while
 * masking is on it is withheld and replaced by a text note.
 */
import type { JsonMasker } from '../http/json-masker.js';
import type { Masker } from '../masking/masker.js';

const BINARY_WITHHELD = '[binary content withheld by agentgate: it cannot be inspected while masking is on]';

export class McpResultMasker {
  count = 0;

  constructor(
    private readonly json: JsonMasker,
    private readonly masker: Masker,
  ) {}

  get active(): boolean {
    return this.json.active;
  }

  /** A result object (tools/call, resources/read, prompts/get), masked in place of a copy. */
  mask<T>(result: T): T {
    if (!this.active) return result;
    const r = this.others(result, ['content', 'contents', 'messages', 'structuredContent', 'description']);
    if (Array.isArray(r.content)) r.content = r.content.map((c) => this.block(c));
    if (Array.isArray(r.contents)) r.contents = r.contents.map((c) => this.resource(c));
    if (Array.isArray(r.messages))
      r.messages = r.messages.map((m: Record<string, unknown>) => ({
        ...this.others(m, ['content']),
        content: Array.isArray(m.content) ? m.content.map((c) => this.block(c)) : this.block(m.content),
      }));
    if (r.structuredContent !== undefined) r.structuredContent = this.jsonValue(r.structuredContent);
    if (typeof r.description === 'string') r.description = this.text(r.description);
    return r as T;
  }

  /** A copy whose fields other than `handled` (and `type`) are masked as JSON: `_meta`, extra keys, names. */
  private others(o: unknown, handled: string[]): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o as Record<string, unknown>))
      out[k] = handled.includes(k) || k === 'type' ? v : this.jsonValue(v);
    return out;
  }

  private block(c: unknown): unknown {
    if (!c || typeof c !== 'object') return c;
    const b = c as Record<string, unknown>;
    switch (b.type) {
      case 'text':
        return { ...this.others(b, ['text']), text: this.maybeJson(String(b.text ?? '')) };
      case 'resource':
        return { ...this.others(b, ['resource']), resource: this.resource(b.resource) };
      case 'resource_link':
        return this.others(b, []);
      default:
        // image, audio and anything unknown: not inspectable.
        this.count++;
        return { type: 'text', text: BINARY_WITHHELD };
    }
  }

  private resource(c: unknown): unknown {
    if (!c || typeof c !== 'object') return c;
    const r = this.others(c, ['text', 'blob']);
    if (typeof r.text === 'string') return { ...r, text: this.maybeJson(r.text) };
    if (typeof r.blob === 'string') {
      this.count++;
      const { blob: _b, ...rest } = r;
      return { ...rest, mimeType: 'text/plain', text: BINARY_WITHHELD };
    }
    return r;
  }

  private maybeJson(s: string): string {
    const t = s.trimStart();
    if (t.startsWith('{') || t.startsWith('[')) {
      try {
        const m = this.json.maskText(s);
        this.count += m.count;
        return m.text;
      } catch {
        // not JSON: detectors below
      }
    }
    return this.text(s);
  }

  private jsonValue(v: unknown): unknown {
    if (v === undefined) return v;
    const m = this.json.maskText(JSON.stringify(v));
    this.count += m.count;
    return JSON.parse(m.text) as unknown;
  }

  private text(s: string): string {
    const m = this.masker.maskText(s);
    this.count += m.count;
    return m.text;
  }
}
