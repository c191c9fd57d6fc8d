/**
 * The Kubernetes username(s) of the person who triggered a run, so that they cannot approve its
 * statements. kube-apiserver's OIDC authenticator does not name a person by the bare `sub`: it prefixes
 * the claim (by default `<issuer URL>#` for claims other than email; `--oidc-username-prefix`, or
 * `claimMappings.username.prefix` in the structured authentication config) and may use the email claim
 * instead. A trigger issuer states its mapping (`kubernetesUsername`); the API server's default,
 * `<issuer>#<sub>`, is always counted too. On top, fail closed: any username that equals the sub or
 * the email, or ends with `#<sub>` or `:<sub>`, case-insensitively, is taken for the same person.
 */
import type { TriggerIssuerSpec } from '../contract/policy-types.js';

export interface TriggerPerson {
  iss: string;
  sub: string;
  /** The person's email, when their token carried one (not marked unverified). */
  email?: string;
}

/** The usernames the API server gives this person under the policy's stated mapping and by default. */
export function kubernetesUsernamesOf(
  person: TriggerPerson,
  triggerIssuers: TriggerIssuerSpec[] | undefined,
): string[] {
  const names = new Set([`${person.iss}#${person.sub}`]);
  const mapping = (triggerIssuers ?? []).find((t) => t.issuer === person.iss)?.kubernetesUsername;
  if (mapping) {
    const claim = mapping.claim ?? 'sub';
    const value = claim === 'email' ? person.email : person.sub;
    // kube-apiserver: no prefix for the email claim unless one is set; `<issuer>#` for any other.
    const prefix = mapping.prefix ?? (claim === 'email' ? '' : `${person.iss}#`);
    if (value) names.add(`${prefix}${value}`);
  }
  return [...names];
}

export interface TriggererNames {
  sub?: string;
  email?: string;
  /** Usernames computed by kubernetesUsernamesOf (exact match). */
  usernames?: string[];
}

/** Is `username` (as the API server authenticated someone) the person who triggered the run? */
export function isTriggerer(username: string, t: TriggererNames): boolean {
  if (!username) return false;
  if ((t.usernames ?? []).includes(username)) return true;
  const name = username.toLowerCase();
  const sub = t.sub?.toLowerCase();
  const email = t.email?.toLowerCase();
  if (sub && (name === sub || name.endsWith(`#${sub}`) || name.endsWith(`:${sub}`))) return true;
  if (email && (name === email || name.endsWith(`#${email}`) || name.endsWith(`:${email}`))) return true;
  return (t.usernames ?? []).some((u) => u.toLowerCase() === name);
}
