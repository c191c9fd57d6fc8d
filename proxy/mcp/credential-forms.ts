/**
 * The forms in which a server may quote a credential it was handed: as is, JSON-escaped, and as it
 * puts it into a URL or form body (encodeURIComponent, encodeURI, `+` for space, URLSearchParams, once
 * more percent-encoded), each percent form in upper- and lower-case hex. A server quotes its credential
 * most often inside the URL of a request that failed (`GET …?key=<token> returned 401`).
 */
export function credentialForms(value: string): string[] {
  const out = new Set<string>();
  for (const v of [value, value.trim()]) {
    out.add(v);
    out.add(JSON.stringify(v).slice(1, -1));
    const component = encodeURIComponent(v);
    const percent = [
      component,
      encodeURI(v),
      component.replace(/%20/g, '+'),
      new URLSearchParams({ v }).toString().slice(2),
      encodeURIComponent(component),
    ];
    for (const p of percent) {
      out.add(p);
      out.add(p.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()));
    }
  }
  return [...out].filter((v) => v.length > 0);
}
