/**
 * Whether a held statement is still wanted (the token has not expired, no earlier message of the batch
 * failed, its portal is the one decided). The approval flow asks before it spends a one-shot grant, and
 * the session again before it runs; the check may tell the agent why not, so once it says no, it stays no.
 */
export function stillWanted(check: () => boolean): () => boolean {
  let no = false;
  return () => {
    if (!no) no = !check();
    return !no;
  };
}
