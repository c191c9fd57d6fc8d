/** The person's groups as the run token carries them (`triggered_by_groups`), from an OIDC claim or a SAML attribute. */
export const MAX_GROUPS = 256;
export const MAX_GROUP_CHARS = 256;

/** A list of group names within the run token's limits; a malformed list is an error, never cut (rules may deny by group). */
export function checkedGroups(list: unknown, what: string): string[] {
  if (!Array.isArray(list) || list.some((g) => typeof g !== 'string' || !g || g.length > MAX_GROUP_CHARS)) {
    throw new Error(`${what} must be a list of group names (1-${MAX_GROUP_CHARS} characters each)`);
  }
  if (list.length > MAX_GROUPS) throw new Error(`${what} lists ${list.length} groups, more than ${MAX_GROUPS}`);
  return [...new Set(list as string[])];
}

/**
 * Reads the configured groups claim; absent is no groups, a single string is one group. Groups the IdP
 * left out of the token (too many of them: Entra ID's overage, OIDC distributed claims) are not "no
 * groups": a Deny on a group would not see them, so such a token is refused.
 */
export function groupsFromClaim(claims: Record<string, unknown>, claim: string): string[] {
  const v = Object.hasOwn(claims, claim) ? claims[claim] : undefined;
  const names = claims._claim_names;
  if (
    v === undefined &&
    ((typeof names === 'object' && names !== null && Object.hasOwn(names, claim)) || claims.hasgroups === true)
  ) {
    throw new Error(
      `claim ${claim}: the IdP left the groups out of the token (groups overage: they are elsewhere); a rule on groups cannot be checked`,
    );
  }
  // Claims are read by name, never by path: a path whose head is an object claim is a policy that would read no groups at all.
  const head = claim.split('.')[0]!;
  if (v === undefined && head !== claim && typeof claims[head] === 'object' && claims[head] !== null) {
    throw new Error(
      `claim ${claim} is not in the token (nested claims are not read: ${head} is an object; name a top-level claim in groupsClaim)`,
    );
  }
  if (v === undefined) return [];
  return checkedGroups(typeof v === 'string' ? [v] : v, `claim ${claim}`);
}
