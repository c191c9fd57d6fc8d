/**
 * What approvers read is bounded (an ApprovalRequest is a Kubernetes object); a call longer than that is
 * never cut silently: the text says first, and again where it is cut, that part of it is not shown,
 * while the approval's sha256 covers all of it.
 */
export const MAX_APPROVAL_TEXT = 65536;

export function approvalText(text: string): string {
  if (text.length <= MAX_APPROVAL_TEXT) return text;
  const note = (shown: number): string =>
    `[agentgate: NOT SHOWN IN FULL: this call is ${text.length} characters and only the first ${shown} are shown; the approval covers all of it (sha256). Reject it unless you know what the rest is.]\n\n`;
  const tail = (shown: number): string => `\n\n[agentgate: ${text.length - shown} more characters are not shown]`;
  let shown = MAX_APPROVAL_TEXT - note(text.length).length - tail(0).length;
  // Not between the halves of a surrogate pair.
  if (/[\uD800-\uDBFF]/.test(text.charAt(shown - 1))) shown--;
  return `${note(shown)}${text.slice(0, shown)}${tail(shown)}`;
}
