/**
 * The operator's countersignature of an evidence bundle's manifest (operator/audit/evidence-countersign.ts
 * signs it; proxy/audit/manifest.ts checks it in `agentgate evidence verify`).
 */
export const MANIFEST_AUDIENCE = 'agentgate-evidence';
export const COUNTERSIGNATURE_TYPE = 'agentgate-evidence-countersignature+jws';

/** The claims of the operator's countersignature. */
export interface CountersignaturePayload {
  iss: string;
  aud: typeof MANIFEST_AUDIENCE;
  iat: number;
  manifestSha256: string;
  /** Who asked, as the API server authenticated them. */
  sub: string;
  groups?: string[];
  namespace?: string;
}
