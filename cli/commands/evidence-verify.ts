/**
 * `agentgate evidence verify DIR`: checks an exported bundle offline against keys the verifier trusts
 * (never only the keys inside the bundle): the manifest's signature, then every file — any file added,
 * removed or changed since the export fails, named.
 */
import { readFileSync } from 'node:fs';
import type * as jose from 'jose';
import { verifyBundle } from '../../proxy/audit/manifest.js';

export interface EvidenceVerifyCommand {
  dir: string;
  /** JWKS files of trusted signing keys (e.g. the witness's checkpoint-jwks.json kept apart from the bundle). */
  jwks: string[];
  /** RFC 7638 thumbprints of trusted signing keys. */
  fingerprints: string[];
}

export async function runEvidenceVerify(o: EvidenceVerifyCommand): Promise<number> {
  const keys = o.jwks.flatMap((f) => (JSON.parse(readFileSync(f, 'utf8')) as jose.JSONWebKeySet).keys);
  const v = await verifyBundle(o.dir, { jwks: { keys }, fingerprints: o.fingerprints });
  if (v.ok) {
    const m = v.manifest!;
    process.stdout.write(`ok: ${o.dir}: ${v.files} file(s) exactly as signed by key ${v.signer!.kid} (${m.signer.kind}) at ${v.signer!.signedAt}; period ${m.period.from} to ${m.period.to}${m.namespace ? `, namespace ${m.namespace}` : ''}, ${m.source} export\n`);
    return 0;
  }
  process.stdout.write(`BUNDLE FAILS: ${o.dir}\n${v.problems.map((p) => `  - ${p}`).join('\n')}\n`);
  return 1;
}
