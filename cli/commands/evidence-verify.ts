/**
 * `agentgate evidence verify DIR`: checks an exported bundle offline against keys the verifier trusts
 * (never only the keys inside the bundle): the manifest's signature, then every file — any file added,
 * removed or changed since the export fails, named.
 */
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
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
  const inside = o.jwks.filter((f) => !relative(resolve(o.dir), resolve(f)).startsWith('..'));
  if (inside.length)
    throw new Error(
      `${inside.join(', ')}: keys from inside the bundle prove nothing (whoever edits it re-signs with a key of their own): pass keys kept apart from it`,
    );
  const keys = o.jwks.flatMap((f) => (JSON.parse(readFileSync(f, 'utf8')) as jose.JSONWebKeySet).keys);
  const v = await verifyBundle(o.dir, { jwks: { keys }, fingerprints: o.fingerprints });
  if (v.ok) {
    const m = v.manifest!;
    const by = v.signatures
      .map((sig) =>
        sig.requestedBy
          ? `countersigned by the operator${sig.issuer ? ` (${sig.issuer})` : ''} with key ${sig.kid} at ${sig.signedAt} for ${sig.requestedBy}`
          : `signed by key ${sig.kid} (${m.signer?.kind ?? 'bundle signer'}) at ${sig.signedAt}`,
      )
      .join('; ');
    process.stdout.write(
      `ok: ${o.dir}: ${v.files} file(s) exactly as ${by}; period ${m.period.from} to ${m.period.to}${m.namespace ? `, namespace ${m.namespace}` : ''}, ${m.source} export\n`,
    );
    if (v.untrusted.length)
      process.stdout.write(`note: ${v.untrusted.join(', ')} not checked: signed by a key you did not pass\n`);
    return 0;
  }
  process.stdout.write(`BUNDLE FAILS: ${o.dir}\n${v.problems.map((p) => `  - ${p}`).join('\n')}\n`);
  return 1;
}
