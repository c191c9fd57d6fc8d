/** Reads a policy file (the same YAML document a cluster admin `kubectl apply`s) for local mode. */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';
import { PolicyValidationError, validatePolicy } from '../../shared/contract/validate-policy.js';

export interface LoadedPolicy {
  policy: AgentAccessPolicy;
  /** Directory that relative paths in the policy (jwksFile, passwordFile, tls files) are resolved against. */
  baseDir: string;
  resolvePath(p: string): string;
}

export function loadPolicyFile(file: string): LoadedPolicy {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new PolicyValidationError([{ path: '(file)', message: `cannot read: ${(e as Error).message}` }], file);
  }
  return parsePolicyText(text, file, dirname(resolve(file)));
}

export function parsePolicyText(text: string, source: string, baseDir: string): LoadedPolicy {
  const docs = parseAllDocuments(text).filter((d) => d.contents !== null);
  if (docs.length !== 1) {
    throw new PolicyValidationError(
      [{ path: '(document)', message: `expected exactly one YAML document, found ${docs.length}` }],
      source,
    );
  }
  const doc = docs[0]!;
  if (doc.errors.length) {
    throw new PolicyValidationError(
      doc.errors.map((e) => ({
        path: `(yaml line ${e.linePos?.[0]?.line ?? '?'})`,
        message: e.message.split('\n')[0] ?? e.message,
      })),
      source,
    );
  }
  const policy = validatePolicy(doc.toJS(), source);
  return { policy, baseDir, resolvePath: (p) => (isAbsolute(p) ? p : resolve(baseDir, p)) };
}
