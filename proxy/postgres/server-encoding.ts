/**
 * The database's encoding, as the server reports it at startup (`server_encoding`). The classifier
 * compares names as libpg_query gives them: UTF-8, lowered in ASCII only, cut at 63 bytes of UTF-8. The
 * server compares them in the database's encoding, and only in UTF8 do the two agree:
 * - a single-byte encoding (LATIN1, WIN1252, KOI8R, ...) also lowers non-ASCII letters by the database's
 *   locale (`É` is `é` with a German LC_CTYPE);
 * - another multi-byte encoding cuts names at 63 bytes of its own (a CJK letter is 3 bytes in UTF-8, 2
 *   in EUC_JP and 4 in EUC_TW), and may map two characters to the same bytes (`¦` and `￤` in EUC_JP);
 * - SQL_ASCII keeps the client's UTF-8 bytes but cuts names at 63 bytes even inside a character, and
 *   lowers high bytes by a single-byte LC_CTYPE.
 * Any of these lets a subquery's alias shadow a write's target unseen (reviews' cases in
 * test/integration/server-encoding.test.ts). Sessions to databases in any encoding but UTF8 are refused.
 */
/** Why the proxy cannot serve a database reporting these startup parameters, or undefined when it can. */
export function serverEncodingProblem(parameters: readonly (readonly [string, string])[]): string | undefined {
  const encoding = parameters.find(([k]) => k.toLowerCase() === 'server_encoding')?.[1];
  if (encoding === undefined) return 'the server did not report its encoding (server_encoding)';
  if (normalizeEncoding(encoding) === 'utf8') return undefined;
  return `the database's encoding is ${encoding}: PostgreSQL compares names there as bytes of that encoding (their case, their 63-byte limit), which agentgate's UTF-8 parser does not follow; agentgate serves databases in UTF8`;
}

/** An encoding's name with case and punctuation aside (`UTF8`, `utf-8`, `Utf_8` are one). */
export function normalizeEncoding(e: string): string {
  return e.toLowerCase().replace(/[^a-z0-9]/g, '');
}
