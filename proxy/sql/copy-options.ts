/** COPY options the COPY row parser follows (postgres/copy-format.ts): a masked COPY TO with any other is refused (gate/guards.ts). */
import type { CopyInfo } from './types.js';

/** COPY options the proxy parses rows under; any other option makes a masked COPY TO refused. */
const UNDERSTOOD_OPTIONS = new Set([
  'format',
  'delimiter',
  'null',
  'header',
  'quote',
  'escape',
  'force_quote',
  'encoding',
]);

/** Why a COPY TO cannot be masked reliably (an option the row parser does not follow), or undefined. */
export function copyOptionsRefusal(copy: CopyInfo): string | undefined {
  const unknown = (copy.options ?? []).filter((o) => !UNDERSTOOD_OPTIONS.has(o));
  if (unknown.length) return `COPY TO with option ${unknown.join(', ')} cannot be masked reliably; remove it`;
  if (copy.encoding !== undefined && !/^utf-?8$|^unicode$/i.test(copy.encoding.trim())) {
    return `COPY TO with ENCODING '${copy.encoding}' cannot be masked (rows are inspected as UTF-8); remove the option`;
  }
  for (const [name, v] of [
    ['DELIMITER', copy.delimiter],
    ['QUOTE', copy.quote],
    ['ESCAPE', copy.escape],
  ] as const) {
    if (v !== undefined && Buffer.byteLength(v, 'utf8') !== 1)
      return `COPY TO with a ${name} that is not one single-byte character cannot be masked`;
  }
  return undefined;
}
