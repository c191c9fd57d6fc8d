/** A signed checkpoint of an audit chain: what a proxy offers a witness (the operator) and what the witness returns. */
import * as jose from 'jose';

export const CHECKPOINT_TYPE = 'agentgate-checkpoint+jwt';
export const CHECKPOINT_AUDIENCE = 'agentgate-audit';

/** The head of a chain, as offered to a witness. */
export interface ChainHead {
  stream: string;
  seq: number;
  hash: string;
  time: string;
}

/** What a witness keeps and returns: the head, when it signed, and its signature (a compact JWS). */
export interface WitnessedCheckpoint extends ChainHead {
  signedAt: string;
  jws: string;
}

/** Signs a chain head as a witness (ES256 compact JWS; what checkpoint-verify.ts checks). */
export async function signCheckpoint(
  head: ChainHead,
  signer: { kid: string; key: Parameters<jose.SignJWT['sign']>[0] },
  issuer: string,
  nowMs: number,
): Promise<WitnessedCheckpoint> {
  const signedAt = Math.floor(nowMs / 1000);
  const jws = await new jose.SignJWT({ stream: head.stream, seq: head.seq, hash: head.hash, time: head.time })
    .setProtectedHeader({ alg: 'ES256', kid: signer.kid, typ: CHECKPOINT_TYPE })
    .setIssuer(issuer)
    .setAudience(CHECKPOINT_AUDIENCE)
    .setIssuedAt(signedAt)
    .sign(signer.key);
  return { ...head, signedAt: new Date(signedAt * 1000).toISOString(), jws };
}
