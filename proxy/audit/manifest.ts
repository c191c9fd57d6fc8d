/**
 * The evidence bundle's signed manifest: every file of the bundle (relative path, size, sha256) and the
 * export's parameters in `manifest.json`, and an ES256 compact JWS over that file's sha256 in
 * `manifest.jws`. The signer's public keys travel in `manifest-keys.json` (listed in the manifest), but
 * they prove nothing on their own — whoever edits a bundle can re-sign it with a key of their own — so
 * verification needs keys the verifier trusts from elsewhere: a JWKS it holds, or the fingerprint
 * (RFC 7638 thumbprint) of the signing key, recorded when the key was set up.
 *
 * What a valid signature proves: the holder of that private key produced this manifest, and no file
 * was added, removed or changed since. With the local witness key, that is whoever can read the
 * witness's key directory.
 *
 * A cluster export is countersigned by the operator (`manifest.operator.jws`): the operator signs the
 * manifest's sha256 with its audit key for a caller the API server authenticated and authorized
 * (operator/audit/evidence-countersign.ts), stating who asked and when by its own clock. Its public
 * keys travel in `manifest-keys.json` too; a verifier trusts them by fingerprint or JWKS, like any key.
 * Either signature verifying with a trusted key vouches for the files.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import * as jose from 'jose';
import {
  COUNTERSIGNATURE_TYPE,
  MANIFEST_AUDIENCE,
  type CountersignaturePayload,
} from '../../shared/contract/evidence-countersignature.js';
export { COUNTERSIGNATURE_TYPE, MANIFEST_AUDIENCE, type CountersignaturePayload };

export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_SIGNATURE_FILE = 'manifest.jws';
export const MANIFEST_KEYS_FILE = 'manifest-keys.json';
export const MANIFEST_SCHEMA = 'agentgate.evidence-manifest/v1';
export const MANIFEST_TYPE = 'agentgate-evidence-manifest+jws';
export const COUNTERSIGNATURE_FILE = 'manifest.operator.jws';

export interface ManifestEntry {
  path: string;
  size: number;
  sha256: string;
}

export interface EvidenceManifest {
  schema: typeof MANIFEST_SCHEMA;
  exportedAt: string;
  period: { from: string; to: string };
  namespace?: string;
  /** Where the evidence came from: the cluster of the exporter's kubeconfig, or local files only. */
  source: 'cluster' | 'local';
  /** Who signed (the key's thumbprint) and as what (e.g. the local witness key). */
  signer?: { kid: string; kind: string };
  /** The operator that countersigns (manifest.operator.jws), and its keys' thumbprints at export. */
  countersigner?: { kind: string; url: string; kids: string[] };
  files: ManifestEntry[];
}

export interface ManifestSigner {
  kid: string;
  /** What the key is, for the reader (e.g. `local witness key (/var/lib/agentgate/witness)`). */
  kind: string;
  key: Parameters<jose.CompactSign['sign']>[0];
  jwks: jose.JSONWebKeySet;
}

/** The operator's side: its public keys (fetched before the manifest is written) and the signing call. */
export interface ManifestCountersigner {
  kind: string;
  url: string;
  jwks: jose.JSONWebKeySet;
  countersign(manifestSha256: string): Promise<string>;
}

/** The files the manifest covers: all of them but the manifest and its signatures. */
const UNLISTED = new Set([MANIFEST_FILE, MANIFEST_SIGNATURE_FILE, COUNTERSIGNATURE_FILE]);

/** Every entry under `dir` (relative, `/`-separated, sorted); anything but regular files and directories is named as such. */
function walk(dir: string): { files: string[]; other: string[] } {
  const files: string[] = [];
  const other: string[] = [];
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const rel = relative(dir, join(e.parentPath, e.name)).split(sep).join(posix.sep);
    if (e.isDirectory()) continue;
    if (e.isFile() && !e.isSymbolicLink()) {
      if (!UNLISTED.has(rel)) files.push(rel);
    } else other.push(rel);
  }
  return { files: files.sort(), other: other.sort() };
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

function entry(dir: string, path: string): ManifestEntry {
  const data = readFileSync(join(dir, path));
  return { path, size: data.length, sha256: sha256(data) };
}

/** Writes the signers' public keys, then the manifest of every file, then its signature(s). */
export async function signBundle(
  dir: string,
  params: Omit<EvidenceManifest, 'schema' | 'files' | 'signer' | 'countersigner'>,
  signer: ManifestSigner | undefined,
  countersigner?: ManifestCountersigner,
): Promise<EvidenceManifest> {
  if (!signer && !countersigner) throw new Error('a bundle needs a signer or a countersigner');
  const keys = [...(signer?.jwks.keys ?? []), ...(countersigner?.jwks.keys ?? [])];
  writeFileSync(join(dir, MANIFEST_KEYS_FILE), `${JSON.stringify({ keys }, null, 2)}\n`);
  const { files, other } = walk(dir);
  if (other.length) throw new Error(`the bundle holds entries that are not regular files: ${other.join(', ')}`);
  const manifest: EvidenceManifest = {
    schema: MANIFEST_SCHEMA,
    ...params,
    ...(signer ? { signer: { kid: signer.kid, kind: signer.kind } } : {}),
    ...(countersigner
      ? {
          countersigner: {
            kind: countersigner.kind,
            url: countersigner.url,
            kids: countersigner.jwks.keys.map((k) => k.kid ?? ''),
          },
        }
      : {}),
    files: files.map((f) => entry(dir, f)),
  };
  const text = `${JSON.stringify(manifest, null, 2)}\n`;
  writeFileSync(join(dir, MANIFEST_FILE), text);
  const digest = sha256(Buffer.from(text));
  if (signer) {
    const payload = {
      aud: MANIFEST_AUDIENCE,
      iat: Math.floor(Date.parse(params.exportedAt) / 1000),
      manifestSha256: digest,
    };
    const jws = await new jose.CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: 'ES256', kid: signer.kid, typ: MANIFEST_TYPE })
      .sign(signer.key);
    writeFileSync(join(dir, MANIFEST_SIGNATURE_FILE), `${jws}\n`);
  }
  if (countersigner) {
    const jws = await countersigner.countersign(digest);
    // What the operator returned must verify with the keys the manifest lists, over this manifest.
    const checked = await checkSignature(
      jws,
      COUNTERSIGNATURE_TYPE,
      countersigner.jwks.keys.map((k) => ({ ...k, kid: k.kid ?? '' })),
    );
    if ('error' in checked)
      throw new Error(
        `the operator's countersignature does not verify with its published keys (${checked.error}); if its audit key just rotated, export again`,
      );
    if (checked.payload.manifestSha256 !== digest)
      throw new Error("the operator countersigned another digest than the manifest's");
    writeFileSync(join(dir, COUNTERSIGNATURE_FILE), `${jws}\n`);
  }
  return manifest;
}

export interface ManifestTrust {
  /** Public keys the verifier trusts (the witness's JWKS kept elsewhere, the operator's audit keys). */
  jwks?: jose.JSONWebKeySet;
  /** RFC 7638 thumbprints of trusted keys: the bundle's own key is used if its thumbprint is one of them. */
  fingerprints?: string[];
}

export interface ManifestVerification {
  ok: boolean;
  problems: string[];
  manifest?: EvidenceManifest;
  /** The first trusted key that signed, and when. */
  signer?: { kid: string; signedAt: string };
  /** Every signature that verified with a trusted key. */
  signatures: VerifiedSignature[];
  /** Signature files present that no trusted key verifies (not failures: the verifier does not trust their key). */
  untrusted: string[];
  files: number;
}

export interface VerifiedSignature {
  file: string;
  kid: string;
  signedAt: string;
  /** Countersignature: who asked the operator (as the API server authenticated them), and the operator. */
  requestedBy?: string;
  issuer?: string;
}

type SignaturePayload = {
  manifestSha256?: unknown;
  iat?: unknown;
  aud?: unknown;
  sub?: unknown;
  iss?: unknown;
  namespace?: unknown;
};

/** Checks one compact JWS: its header, a trusted key that verifies it, its audience. */
async function checkSignature(
  jws: string,
  typ: string,
  keys: (jose.JWK & { kid: string })[],
): Promise<{ payload: SignaturePayload; kid: string } | { error: string }> {
  try {
    const header = jose.decodeProtectedHeader(jws);
    if (header.typ !== typ || header.alg !== 'ES256')
      throw new Error(`unexpected header typ ${String(header.typ)} alg ${String(header.alg)}`);
    const candidates = keys.filter((k) => !header.kid || k.kid === header.kid);
    const result = await firstVerifying(jws, candidates);
    if (!result)
      throw new Error(
        `no trusted key verifies it (signed with key ${header.kid ?? '(no kid)'}; trusted: ${keys.map((k) => k.kid).join(', ') || 'none'})`,
      );
    const payload = JSON.parse(new TextDecoder().decode(result.payload)) as SignaturePayload;
    if (payload.aud !== MANIFEST_AUDIENCE) throw new Error('not an evidence manifest signature');
    return { payload, kid: result.kid };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** Checks the signatures with trusted keys only, then every file against the manifest: added, removed, changed. */
export async function verifyBundle(dir: string, trust: ManifestTrust): Promise<ManifestVerification> {
  const problems: string[] = [];
  const fail = (p: string): ManifestVerification => ({
    ok: false,
    problems: [...problems, p],
    signatures: [],
    untrusted: [],
    files: 0,
  });
  const present = [
    [MANIFEST_SIGNATURE_FILE, MANIFEST_TYPE],
    [COUNTERSIGNATURE_FILE, COUNTERSIGNATURE_TYPE],
  ].filter(([f]) => existsSync(join(dir, f!))) as [string, string][];
  if (!existsSync(join(dir, MANIFEST_FILE)) || !present.length)
    return fail(
      `not a signed bundle: ${MANIFEST_FILE}, or both ${MANIFEST_SIGNATURE_FILE} and ${COUNTERSIGNATURE_FILE}, missing`,
    );
  const keys = await trustedKeys(dir, trust, problems);
  if (!keys.length)
    return fail(
      'no trusted key to verify with: pass --jwks FILE (keys kept apart from the bundle) or --fingerprint THUMBPRINT of the signing key',
    );
  const text = readFileSync(join(dir, MANIFEST_FILE));
  const digest = sha256(text);
  const signatures: VerifiedSignature[] = [];
  const scopes: { file: string; namespace: unknown }[] = [];
  const untrusted: string[] = [];
  const failures: string[] = [];
  for (const [file, typ] of present) {
    const checked = await checkSignature(readFileSync(join(dir, file), 'utf8').trim(), typ, keys);
    if ('error' in checked) {
      untrusted.push(file);
      failures.push(
        `${file}: the signature does not verify with the trusted keys: ${checked.error} (the manifest was re-signed by someone else, or the signature replaced)`,
      );
      continue;
    }
    if (checked.payload.manifestSha256 !== digest)
      return fail(`${MANIFEST_FILE}: changed after it was signed (its sha256 is not the one ${file} signed)`);
    if (file === COUNTERSIGNATURE_FILE) scopes.push({ file, namespace: checked.payload.namespace });
    signatures.push({
      file,
      kid: checked.kid,
      signedAt: new Date(Number(checked.payload.iat) * 1000).toISOString(),
      ...(typeof checked.payload.sub === 'string' ? { requestedBy: checked.payload.sub } : {}),
      ...(typeof checked.payload.iss === 'string' ? { issuer: checked.payload.iss } : {}),
    });
  }
  if (!signatures.length) return { ok: false, problems: [...problems, ...failures], signatures, untrusted, files: 0 };
  const manifest = JSON.parse(text.toString('utf8')) as EvidenceManifest;
  // The operator vouched for an export of one namespace (or of all): the manifest must claim the same.
  for (const c of scopes)
    if ((c.namespace ?? undefined) !== manifest.namespace)
      problems.push(
        `${c.file}: countersigned for ${c.namespace ? `namespace ${String(c.namespace)}` : 'all namespaces'}, but the manifest says ${manifest.namespace ? `namespace ${manifest.namespace}` : 'all namespaces'}`,
      );
  // A countersignature the manifest announces must be there: removing it would hide who exported.
  if (manifest.countersigner && !existsSync(join(dir, COUNTERSIGNATURE_FILE)))
    problems.push(`removed: ${COUNTERSIGNATURE_FILE} (the manifest names the operator's countersignature)`);
  const listed = new Map(manifest.files.map((f) => [f.path, f]));
  const { files, other } = walk(dir);
  for (const f of files) {
    const want = listed.get(f);
    if (!want) {
      problems.push(`added: ${f} (not in the signed manifest)`);
      continue;
    }
    const got = entry(dir, f);
    if (got.sha256 !== want.sha256 || got.size !== want.size)
      problems.push(
        `changed: ${f} (sha256 ${got.sha256.slice(0, 12)}…, ${got.size} bytes; signed ${want.sha256.slice(0, 12)}…, ${want.size} bytes)`,
      );
  }
  for (const o of other) problems.push(`added: ${o} (not a regular file)`);
  const onDisk = new Set(files);
  for (const f of manifest.files)
    if (!onDisk.has(f.path)) problems.push(`removed: ${f.path} (listed in the signed manifest)`);
  return {
    ok: problems.length === 0,
    problems,
    manifest,
    signer: { kid: signatures[0]!.kid, signedAt: signatures[0]!.signedAt },
    signatures,
    untrusted,
    files: manifest.files.length,
  };
}

async function trustedKeys(
  dir: string,
  trust: ManifestTrust,
  problems: string[],
): Promise<(jose.JWK & { kid: string })[]> {
  const out: (jose.JWK & { kid: string })[] = [];
  for (const k of trust.jwks?.keys ?? [])
    if (k.kty === 'EC' && k.x && k.y) out.push({ ...k, kid: k.kid ?? (await jose.calculateJwkThumbprint(k)) });
  if (trust.fingerprints?.length) {
    const file = join(dir, MANIFEST_KEYS_FILE);
    const shipped = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as jose.JSONWebKeySet).keys : [];
    let matched = 0;
    for (const k of shipped) {
      const { d: _d, ...pub } = k;
      const thumb = await jose.calculateJwkThumbprint(pub);
      if (trust.fingerprints.includes(thumb)) {
        out.push({ ...pub, kid: k.kid ?? thumb });
        matched++;
      }
    }
    if (!matched)
      problems.push(
        `${MANIFEST_KEYS_FILE}: no key in the bundle has the trusted fingerprint ${trust.fingerprints.join(', ')}`,
      );
  }
  return out;
}

async function firstVerifying(
  jws: string,
  keys: (jose.JWK & { kid: string })[],
): Promise<{ payload: Uint8Array; kid: string } | undefined> {
  for (const k of keys) {
    try {
      const { payload } = await jose.compactVerify(jws, await jose.importJWK({ ...k, alg: 'ES256' }, 'ES256'), {
        algorithms: ['ES256'],
      });
      return { payload, kid: k.kid };
    } catch {
      // try the next trusted key
    }
  }
  return undefined;
}
