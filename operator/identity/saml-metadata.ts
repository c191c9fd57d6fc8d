/**
 * IdP metadata fetched from its URL (saml.metadataUrl): HTTPS (plain HTTP only to this machine), at most
 * 1 MiB, 5 s. Kept for ten minutes; when a refresh fails the last good copy serves for up to a day, and
 * a failed fetch is not retried for 30 s, so a flood of exchanges does not hammer the IdP.
 */
import { metadataUrlError } from '../../shared/contract/saml-trigger.js';

export const METADATA_TTL_MS = 10 * 60_000;
export const METADATA_STALE_MS = 24 * 3600_000;
const RETRY_MS = 30_000;
const MAX_BYTES = 1 << 20;

export type FetchText = (url: string) => Promise<string>;

export const fetchMetadata: FetchText = async (url) => {
  const err = metadataUrlError(url);
  if (err) throw new Error(`metadata URL ${url} ${err}`);
  const res = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(5000) });
  if (res.status !== 200) throw new Error(`GET ${url}: HTTP ${res.status}`);
  const body = await res.arrayBuffer();
  if (body.byteLength > MAX_BYTES) throw new Error(`GET ${url}: metadata larger than ${MAX_BYTES} bytes`);
  return new TextDecoder('utf-8', { fatal: true }).decode(body);
};

export class MetadataCache {
  private readonly entries = new Map<
    string,
    { text?: string; fetchedAt?: number; failedAt?: number; error?: string }
  >();

  constructor(
    private readonly fetchText: FetchText = fetchMetadata,
    private readonly now: () => number = Date.now,
  ) {}

  async text(url: string): Promise<string> {
    const now = this.now();
    const e = this.entries.get(url) ?? {};
    if (e.text !== undefined && now - e.fetchedAt! < METADATA_TTL_MS) return e.text;
    if (e.failedAt !== undefined && now - e.failedAt < RETRY_MS) return this.stale(e, url, now);
    try {
      const text = await this.fetchText(url);
      this.entries.set(url, { text, fetchedAt: now });
      return text;
    } catch (err) {
      this.entries.set(url, { ...e, failedAt: now, error: (err as Error).message });
      return this.stale(this.entries.get(url)!, url, now);
    }
  }

  private stale(e: { text?: string; fetchedAt?: number; error?: string }, url: string, now: number): string {
    if (e.text !== undefined && now - e.fetchedAt! < METADATA_STALE_MS) return e.text;
    throw new Error(`cannot fetch IdP metadata from ${url}: ${e.error ?? 'unknown error'}`);
  }
}
