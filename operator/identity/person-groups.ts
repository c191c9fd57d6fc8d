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

/** Reads the configured groups claim; absent is no groups, a single string is one group. */
export function groupsFromClaim(claims: Record<string, unknown>, claim: string): string[] {
  const v = claims[claim];
  if (v === undefined) return [];
  return checkedGroups(typeof v === 'string' ? [v] : v, `claim ${claim}`);
}
