/** The person's groups as the run token carries them (`triggered_by_groups`), from an OIDC claim. */
export const MAX_GROUPS = 256;
export const MAX_GROUP_CHARS = 256;

/** Reads the configured groups claim; a malformed value is an error, not an empty list (rules may deny by group). */
export function groupsFromClaim(claims: Record<string, unknown>, claim: string): string[] {
  const v = claims[claim];
  if (v === undefined) return [];
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || list.some((g) => typeof g !== 'string' || !g || g.length > MAX_GROUP_CHARS)) {
    throw new Error(`claim ${claim} must be a list of group names (1-${MAX_GROUP_CHARS} characters each)`);
  }
  if (list.length > MAX_GROUPS) throw new Error(`claim ${claim} lists ${list.length} groups, more than ${MAX_GROUPS}`);
  return [...new Set(list as string[])];
}
