/** Policy checks for MCP targets and `when.mcp` rules that the CRD schema cannot express. */
import { celError } from '../policy-language/cel.js';
import { jsonPathError } from '../policy-language/json-path.js';
import type { PolicyError } from './validate-policy.js';
import type { McpTargetSpec, RuleSpec } from './policy-types.js';

export function mcpTargetErrors(t: McpTargetSpec, i: number): PolicyError[] {
  const errors: PolicyError[] = [];
  const at = `spec.targets[${i}]`;
  const u = t.upstream as McpTargetSpec['upstream'] & {
    host?: unknown;
    database?: unknown;
    port?: unknown;
    user?: unknown;
  };
  if ((u.url === undefined) === (u.command === undefined))
    errors.push({
      path: `${at}.upstream`,
      message: 'set exactly one of url (Streamable HTTP or SSE) and command (stdio)',
    });
  if (u.url !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(u.url);
    } catch {
      errors.push({ path: `${at}.upstream.url`, message: 'not a URL' });
    }
    if (url && url.protocol !== 'http:' && url.protocol !== 'https:')
      errors.push({ path: `${at}.upstream.url`, message: 'must be http or https' });
    if (url && (url.username || url.password || url.hash))
      errors.push({ path: `${at}.upstream.url`, message: 'may not carry credentials or a fragment (use credentials)' });
    // The MCP client's fetch trusts the system store and checks the URL's host name.
    for (const k of ['caFile', 'serverName'] as const)
      if (u[k] !== undefined)
        errors.push({
          path: `${at}.upstream.${k}`,
          message: 'not supported for mcp targets yet: the server is verified against system CAs and the URL host',
        });
  }
  if (u.command !== undefined) {
    for (const k of ['transport', 'caFile', 'serverName'] as const)
      if (u[k] !== undefined)
        errors.push({ path: `${at}.upstream.${k}`, message: 'applies to a url upstream, not a command' });
    if (t.credentials)
      errors.push({ path: `${at}.credentials`, message: 'a stdio server takes its secrets through upstream.env' });
  } else {
    for (const k of ['args', 'env'] as const)
      if (u[k] !== undefined) errors.push({ path: `${at}.upstream.${k}`, message: 'applies to a command upstream' });
  }
  for (const k of ['host', 'port', 'database', 'user'] as const) {
    if (u[k] !== undefined)
      errors.push({
        path: `${at}.upstream.${k}`,
        message: 'an mcp target is named by upstream.url or upstream.command',
      });
  }
  (u.env ?? []).forEach((e, j) => {
    const n = [e.value, e.valueFromEnv, e.valueFromFile, e.secretRef].filter((x) => x !== undefined).length;
    if (n !== 1)
      errors.push({
        path: `${at}.upstream.env[${j}]`,
        message: 'set exactly one of value, valueFromEnv, valueFromFile or secretRef',
      });
  });
  if ((t as unknown as { forwardProxy?: unknown }).forwardProxy !== undefined)
    errors.push({ path: `${at}.forwardProxy`, message: 'applies to http targets only' });
  (t.maskFields ?? []).forEach((f, j) => {
    const err = jsonPathError(f.path);
    if (err) errors.push({ path: `${at}.maskFields[${j}].path`, message: err });
  });
  return errors;
}

export function mcpWhenErrors(r: RuleSpec, i: number): PolicyError[] {
  const errors: PolicyError[] = [];
  const m = r.when!.mcp!;
  const at = `spec.rules[${i}].when.mcp`;
  if (r.when!.sql || r.when!.http)
    errors.push({ path: `spec.rules[${i}].when`, message: 'a rule has sql, http or mcp conditions, only one kind' });
  const kinds = [m.tools, m.resources, m.prompts].filter((x) => x !== undefined).length;
  if (kinds > 1)
    errors.push({ path: at, message: 'tools, resources and prompts select different messages; name one per rule' });
  if (m.arguments && (m.resources || (!m.tools && !m.prompts)))
    errors.push({
      path: `${at}.arguments`,
      message: 'arguments apply to tools (tools/call) or prompts (prompts/get); name them',
    });
  (m.arguments ?? []).forEach((c, j) => {
    const err = jsonPathError(c.path);
    if (err) errors.push({ path: `${at}.arguments[${j}].path`, message: err });
  });
  if (m.cel !== undefined) {
    const err = celError(m.cel);
    if (err) errors.push({ path: `${at}.cel`, message: `not a valid CEL expression over request: ${err}` });
  }
  return errors;
}
