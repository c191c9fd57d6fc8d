/**
 * The policy decision for one HTTP request: built-in guards, then the first matching rule, else
 * defaultAction — the same order and the same Decision as for SQL (policy/decide.ts). Where a condition
 * cannot be decided (a body that is not JSON, a CEL error), it matches Deny and RequireApproval rules and
 * never Allow rules: an unclear request is never allowed by a rule that did not see it clearly.
 */
import type { Decision } from '../gate/decide.js';
import { globMatch } from '../../shared/policy-language/glob.js';
import type {
  Action,
  HttpTargetSpec,
  HttpValueCondition,
  PolicySpec,
  RuleSpec,
} from '../../shared/contract/policy-types.js';
import { celProgram, type CelRequest } from '../../shared/policy-language/cel.js';
import { compileJsonPath, selectValues } from '../../shared/policy-language/json-path.js';
import { compileTemplate, matchTemplate, type PathTemplate } from '../../shared/policy-language/path-template.js';
import type { HttpRequestFacts } from './request-facts.js';

const READ_ONLY_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface HttpDecision extends Decision {
  /** The path template of the rule that decided, when it named one that matched. */
  pathTemplate?: string;
}

export interface PrincipalFacts {
  sub: string;
  iss: string;
  triggeredBy?: string;
}

export class HttpPolicyEngine {
  private readonly templates = new Map<string, PathTemplate>();

  constructor(private readonly spec: PolicySpec) {}

  decide(f: HttpRequestFacts, target: HttpTargetSpec, principal: PrincipalFacts): HttpDecision {
    if (target.access === 'ReadOnly' && !READ_ONLY_METHODS.has(f.method)) {
      return this.finish(
        'Deny',
        'read-only-target',
        `target ${target.name} is read-only; method ${f.method} is not forwarded`,
      );
    }
    for (const rule of this.spec.rules ?? []) {
      const m = this.matches(rule, f, target, principal);
      if (m.matched)
        return {
          ...this.finish(rule.action, rule.name, rule.message),
          ...(m.template ? { pathTemplate: m.template } : {}),
        };
    }
    return this.finish(this.spec.defaultAction, 'defaultAction');
  }

  private finish(action: Action, rule: string, message?: string): HttpDecision {
    return { action, rule, ...(message ? { message } : {}), blocked: action !== 'Allow' && this.spec.mode !== 'Audit' };
  }

  private matches(
    rule: RuleSpec,
    f: HttpRequestFacts,
    target: HttpTargetSpec,
    principal: PrincipalFacts,
  ): { matched: boolean; template?: string } {
    const when = rule.when;
    const no = { matched: false };
    if (!when) return { matched: true };
    if (when.targets && !when.targets.includes(target.name)) return no;
    if (when.sql || when.mcp) return no;
    const h = when.http;
    if (!h) return { matched: true };
    // Unclear input counts as a match for rules that stop a request, never for rules that let one pass.
    const unclear = rule.action !== 'Allow';
    // HEAD is GET without the body (express, Go and most routers run the GET handler): a stopping rule on GET stops HEAD.
    if (h.methods && !h.methods.includes(f.method) && !(unclear && f.method === 'HEAD' && h.methods.includes('GET')))
      return no;
    let template: string | undefined;
    if (h.paths) {
      template = h.paths.find((p) => matchTemplate(this.template(p), f.path.segments, unclear));
      if (template === undefined) return no;
    }
    if (f.paramsUnclear && h.query?.length) {
      if (!unclear) return no;
    } else for (const c of h.query ?? []) if (!valuesMatch(c, paramValues(f.query, c.name), unclear)) return no;
    for (const c of h.headers ?? []) if (!valuesMatch(c, headerValues(f.headers, c.name), unclear)) return no;
    if (h.body?.length) {
      if (f.json === 'invalid') {
        if (!unclear) return no;
      } else {
        for (const c of h.body) {
          const found = f.json ? selectValues(compileJsonPath(c.path), f.json.value) : [];
          if (!valuesMatch(c, found.length ? found.map(jsonText) : undefined, unclear)) return no;
        }
      }
    }
    if (h.cel !== undefined) {
      let ok: boolean;
      try {
        ok = f.paramsUnclear && /\bquery\b/.test(h.cel) ? unclear : celProgram(h.cel)(celRequest(f, principal));
      } catch {
        ok = unclear;
      }
      if (!ok) return no;
    }
    return { matched: true, ...(template ? { template } : {}) };
  }

  private template(p: string): PathTemplate {
    let t = this.templates.get(p);
    if (!t) this.templates.set(p, (t = compileTemplate(p)));
    return t;
  }
}

/**
 * A named value's condition. With several values (a repeated parameter or header, or a body path with
 * `[*]`), a stopping rule matches when any value does, an Allow rule only when every value does.
 */
export function valuesMatch(c: HttpValueCondition, values: string[] | undefined, anyOf: boolean): boolean {
  const present = values !== undefined && values.length > 0;
  if (c.present !== undefined && c.present !== present) return false;
  if (c.values === undefined && c.pattern === undefined) return c.present !== undefined || present;
  if (!present) return false;
  const one = (v: string): boolean =>
    (c.values === undefined || c.values.includes(v)) && (c.pattern === undefined || globMatch(c.pattern, v));
  return anyOf ? values.some(one) : values.every(one);
}

/**
 * A parameter's values as any framework could read it: with bracket syntax (qs in express, Rails, PHP)
 * `name[]`, `name[0]` and `name[key]` are `name`; ASP.NET binds names without case.
 */
function paramValues(query: Map<string, string[]>, name: string): string[] | undefined {
  const n = name.toLowerCase();
  const out: string[] = [];
  for (const [k, v] of query) {
    const key = k.toLowerCase();
    if (key === n || key.startsWith(`${n}[`)) out.push(...v);
  }
  return out.length ? out : undefined;
}

/** A header's values under every name a CGI/WSGI server folds into the same variable (`_` and `-` alike). */
function headerValues(headers: Map<string, string[]>, name: string): string[] | undefined {
  const fold = (s: string): string => s.toLowerCase().replace(/_/g, '-');
  const n = fold(name);
  const out: string[] = [];
  for (const [k, v] of headers) if (fold(k) === n) out.push(...v);
  return out.length ? out : undefined;
}

export function jsonText(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function celRequest(f: HttpRequestFacts, p: PrincipalFacts): CelRequest {
  return {
    method: f.method,
    // Decoded, as the API routes it (a rule on "/admin" must see "/%61dmin" as that); the bytes sent are rawPath.
    path: `/${f.path.segments.join('/')}`,
    rawPath: f.path.raw,
    segments: f.path.segments,
    query: Object.fromEntries(f.query),
    headers: Object.fromEntries(f.headers),
    body: f.json && f.json !== 'invalid' ? f.json.value : null,
    principal: { sub: p.sub, iss: p.iss, ...(p.triggeredBy ? { triggeredBy: p.triggeredBy } : {}) },
    target: f.target,
  };
}
