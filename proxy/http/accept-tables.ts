/**
 * kubectl asks kube-apiserver for a Table first and plain JSON as a fallback
 * (`application/json;as=Table;v=v1;g=meta.k8s.io,…,application/json`). Tables are refused under field
 * rules (json-masker.ts isKubeTable), so the Table ranges are taken out of Accept before it is
 * forwarded and the server answers with the fallback the client said it takes. An Accept of Tables only
 * is left as sent: the response is refused.
 */
const TABLE = /;\s*as\s*=\s*"?table"?\s*(;|$)/i;

export function withoutTables(accept: string): string {
  const ranges = accept.split(',').map((r) => r.trim());
  const kept = ranges.filter((r) => r !== '' && !TABLE.test(r));
  return kept.length && kept.length < ranges.filter((r) => r !== '').length ? kept.join(', ') : accept;
}
