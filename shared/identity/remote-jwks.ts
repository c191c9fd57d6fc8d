/**
 * A JWKS fetched from somewhere (the Kubernetes API server's service-account issuer), cached, and
 * refetched when a token names a key it does not know (key rotation) — at most once per
 * `minRefreshMs`, so a flood of tokens with made-up key ids cannot hammer the issuer.
 */
import * as jose from 'jose';

type GetKey = ReturnType<typeof jose.createLocalJWKSet>;

export interface RemoteJwksOptions {
  minRefreshMs?: number;
  now?: () => number;
}

export class RemoteJwks {
  private keys?: GetKey;
  private fetchedAt = -Infinity;
  private inflight?: Promise<void>;
  private readonly now: () => number;
  fetches = 0;

  constructor(
    private readonly fetchJwks: () => Promise<jose.JSONWebKeySet>,
    private readonly o: RemoteJwksOptions = {},
  ) {
    this.now = o.now ?? Date.now;
  }

  private refresh(): Promise<void> {
    this.inflight ??= (async () => {
      try {
        const jwks = await this.fetchJwks();
        this.fetches++;
        this.keys = jose.createLocalJWKSet(jwks);
        this.fetchedAt = this.now();
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }

  /** A jose key-resolver: jwtVerify(token, jwks.getKey, …). */
  readonly getKey = async (
    header: jose.JWSHeaderParameters,
    token: jose.FlattenedJWSInput,
  ): Promise<Awaited<ReturnType<GetKey>>> => {
    if (!this.keys) await this.refresh();
    try {
      return await this.keys!(header, token);
    } catch (e) {
      if (
        !(e instanceof jose.errors.JWKSNoMatchingKey) ||
        this.now() - this.fetchedAt < (this.o.minRefreshMs ?? 10_000)
      )
        throw e;
      await this.refresh();
      return this.keys!(header, token);
    }
  };
}
