/**
 * The database's encoding, as the server reports it at startup (`server_encoding`). The classifier
 * parses UTF-8 text and folds unquoted identifiers to lower case in ASCII only, as PostgreSQL does in a
 * multi-byte encoding. In a single-byte encoding (LATIN1, WIN1252, KOI8R, ...) PostgreSQL also folds
 * non-ASCII letters, by the database's locale: `É` and `é` are then one name to the server and two to the
 * classifier (`DELETE FROM orders AS é WHERE EXISTS (SELECT FROM customers AS É WHERE é.id = 1)` deletes
 * every row while reading as bounded). Sessions to such databases are refused. SQL_ASCII is let through:
 * it is single-byte too, and docs/security.md names what that leaves.
 */
const SINGLE_BYTE = new Set([
  'latin1',
  'latin2',
  'latin3',
  'latin4',
  'latin5',
  'latin6',
  'latin7',
  'latin8',
  'latin9',
  'latin10',
  'iso88595',
  'iso88596',
  'iso88597',
  'iso88598',
  'win866',
  'win874',
  'win1250',
  'win1251',
  'win1252',
  'win1253',
  'win1254',
  'win1255',
  'win1256',
  'win1257',
  'win1258',
  'koi8r',
  'koi8u',
]);

/** Why the proxy cannot serve a database reporting these startup parameters, or undefined when it can. */
export function serverEncodingProblem(parameters: readonly (readonly [string, string])[]): string | undefined {
  const encoding = parameters.find(([k]) => k.toLowerCase() === 'server_encoding')?.[1];
  if (encoding === undefined) return 'the server did not report its encoding (server_encoding)';
  if (!SINGLE_BYTE.has(encoding.toLowerCase().replace(/[^a-z0-9]/g, ''))) return undefined;
  return `the database's encoding is ${encoding}, a single-byte encoding: PostgreSQL folds the case of non-ASCII identifiers there by the database's locale, which agentgate's parser does not follow; agentgate serves databases in UTF8 (or another multi-byte encoding)`;
}
