/** Policy checks for HTTP targets and `when.http` rules that the CRD schema cannot express. */
import type { PolicyError } from './validate-policy.js';
import type { HttpTargetSpec, PolicySpec, RuleSpec, TargetSpec } from './policy-types.js';
import { celError } from '../policy-language/cel.js';
import { jsonPathError } from '../policy-language/json-path.js';
import { templateError } from '../policy-language/path-template.js';

export function postgresTargetErrors(t: TargetSpec, i: number): PolicyError[] {
  const errors: PolicyError[] = [];
  const u = t.upstream as Partial<TargetSpec['upstream']> & { url?: string };
  for (const k of ['host', 'port', 'database', 'user'] as const) {
    if (u[k] === undefined)
      errors.push({ path: `spec.targets[${i}].upstream.${k}`, message: 'required field is missing (postgres target)' });
  }
  if (u.url !== undefined)
    errors.push({ path: `spec.targets[${i}].upstream.url`, message: 'only http targets have a url' });
  const c = t.credentials as HttpTargetSpec['credentials'];
  for (const k of ['scheme', 'username', 'header'] as const) {
    if (c?.[k] !== undefined)
      errors.push({ path: `spec.targets[${i}].credentials.${k}`, message: 'applies to http targets only' });
  }
  const extra = t as unknown as Partial<HttpTargetSpec>;
  for (const k of ['forwardProxy', 'limits', 'maskFields'] as const) {
    if (extra[k] !== undefined)
      errors.push({ path: `spec.targets[${i}].${k}`, message: 'applies to http targets only' });
  }
  return errors;
}

export function httpTargetErrors(t: HttpTargetSpec, i: number): PolicyError[] {
  const errors: PolicyError[] = [];
  const at = `spec.targets[${i}]`;
  const u = t.upstream as HttpTargetSpec['upstream'] & {
    host?: unknown;
    database?: unknown;
    port?: unknown;
    user?: unknown;
  };
  if (u.url === undefined)
    errors.push({ path: `${at}.upstream.url`, message: 'required field is missing (http target)' });
  else {
    let url: URL | undefined;
    try {
      url = new URL(u.url);
    } catch {
      errors.push({ path: `${at}.upstream.url`, message: 'not a URL' });
    }
    if (url && url.protocol !== 'http:' && url.protocol !== 'https:')
      errors.push({ path: `${at}.upstream.url`, message: 'must be http or https' });
    if (url && (url.username || url.password || url.search || url.hash))
      errors.push({
        path: `${at}.upstream.url`,
        message: 'may not carry credentials, a query or a fragment (use credentials)',
      });
  }
  for (const k of ['host', 'port', 'database', 'user'] as const) {
    if (u[k] !== undefined)
      errors.push({ path: `${at}.upstream.${k}`, message: 'an http target is named by upstream.url' });
  }
  const c = t.credentials;
  if (c) {
    const scheme = c.scheme ?? 'bearer';
    if (scheme === 'basic' && !c.username)
      errors.push({ path: `${at}.credentials.username`, message: 'required for scheme basic' });
    if (scheme !== 'basic' && c.username !== undefined)
      errors.push({ path: `${at}.credentials.username`, message: 'only for scheme basic' });
    if (scheme === 'header' && !c.header)
      errors.push({ path: `${at}.credentials.header`, message: 'required for scheme header' });
    if (scheme !== 'header' && c.header !== undefined)
      errors.push({ path: `${at}.credentials.header`, message: 'only for scheme header' });
    if (c.header && /^(host|content-length|transfer-encoding|connection|upgrade|te|trailer|proxy-.*)$/i.test(c.header))
      errors.push({ path: `${at}.credentials.header`, message: `${c.header} cannot carry credentials` });
  }
  (t.maskFields ?? []).forEach((f, j) => {
    const err = jsonPathError(f.path);
    if (err) errors.push({ path: `${at}.maskFields[${j}].path`, message: err });
  });
  return errors;
}

/** Forward-proxy addresses (shared among http targets), each with the first target naming it. */
export function forwardProxyListens(spec: PolicySpec): Map<string, number> {
  const out = new Map<string, number>();
  spec.targets.forEach((t, i) => {
    if (t.protocol === 'http' && t.forwardProxy && !out.has(t.forwardProxy.listen)) out.set(t.forwardProxy.listen, i);
  });
  return out;
}

export function httpWhenErrors(r: RuleSpec, i: number): PolicyError[] {
  const errors: PolicyError[] = [];
  const h = r.when!.http!;
  const at = `spec.rules[${i}].when.http`;
  if (r.when!.sql)
    errors.push({ path: `spec.rules[${i}].when`, message: 'a rule has sql or http conditions, not both' });
  (h.paths ?? []).forEach((p, j) => {
    const err = templateError(p);
    if (err) errors.push({ path: `${at}.paths[${j}]`, message: err });
  });
  for (const kind of ['query', 'headers'] as const) {
    (h[kind] ?? []).forEach((c, j) => {
      if (!c.name) errors.push({ path: `${at}.${kind}[${j}].name`, message: 'required field is missing' });
      if ((c as { path?: string }).path !== undefined)
        errors.push({ path: `${at}.${kind}[${j}].path`, message: 'path is for body conditions; use name' });
    });
  }
  (h.body ?? []).forEach((c, j) => {
    if (!c.path) errors.push({ path: `${at}.body[${j}].path`, message: 'required field is missing' });
    else {
      const err = jsonPathError(c.path);
      if (err) errors.push({ path: `${at}.body[${j}].path`, message: err });
    }
    if ((c as { name?: string }).name !== undefined)
      errors.push({ path: `${at}.body[${j}].name`, message: 'name is for query and header conditions; use path' });
  });
  if (h.cel !== undefined) {
    const err = celError(h.cel);
    if (err) errors.push({ path: `${at}.cel`, message: `not a valid CEL expression over request: ${err}` });
  }
  return errors;
}
