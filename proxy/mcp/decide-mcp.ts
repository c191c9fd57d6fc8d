/**
 * The policy decision for one MCP call (tools/call, resources/read, prompts/get): the first matching
 * rule, else defaultAction, as for SQL and HTTP. A `when.mcp` rule names what it is about (tools,
 * resources or prompts); a rule with sql or http conditions never matches an MCP call. Where a
 * condition cannot be decided (a CEL error, arguments that are not an object), it matches Deny and
 * RequireApproval rules and never Allow rules.
 */
import { triggeredByMatches, type Decision, type TriggeringPerson } from '../gate/decide.js';
import { globMatch } from '../../shared/policy-language/glob.js';
import type { Action, McpTargetSpec, PolicySpec, RuleSpec } from '../../shared/contract/policy-types.js';
import { celProgram } from '../../shared/policy-language/cel.js';
import { compileJsonPath, selectValues } from '../../shared/policy-language/json-path.js';
import { jsonText, valuesMatch, type PrincipalFacts } from '../http/decide-http.js';
import type { McpCallFacts, McpCelRequest } from './mcp-facts.js';
import { argumentForms, candidateRoots, inForm, pathForms, undecidablePath, UNICODE_FORMS } from './path-forms.js';

export class McpPolicyEngine {
  constructor(private readonly spec: PolicySpec) {}

  decide(f: McpCallFacts, target: McpTargetSpec, principal: PrincipalFacts, person?: TriggeringPerson): Decision {
    for (const rule of this.spec.rules ?? []) {
      if (this.matches(rule, f, target, principal, person)) return this.finish(rule.action, rule.name, rule.message);
    }
    return this.finish(this.spec.defaultAction, 'defaultAction');
  }

  /** Whether a tool could be called at all by this principal: tools/list shows the agent only those. */
  toolListed(tool: string, target: McpTargetSpec, principal: PrincipalFacts): boolean {
    return this.listed('tools', tool, target, principal);
  }

  /** Whether a prompt could be got at all by this principal: prompts/list shows the agent only those. */
  promptListed(prompt: string, target: McpTargetSpec, principal: PrincipalFacts): boolean {
    return this.listed('prompts', prompt, target, principal);
  }

  private listed(kind: 'tools' | 'prompts', name: string, target: McpTargetSpec, _principal: PrincipalFacts): boolean {
    for (const rule of this.spec.rules ?? []) {
      const when = rule.when;
      if (when?.sql || when?.http) continue;
      if (when?.targets && !when.targets.includes(target.name)) continue;
      const m = when?.mcp;
      // A rule about the other kinds of MCP call does not decide this one.
      if (m && (m.resources || (kind === 'tools' ? m.prompts : m.tools))) continue;
      const globs = m?.[kind];
      if (globs && !globs.some((g) => globMatch(g, name))) continue;
      // A rule with conditions on the arguments (or CEL) decides only some calls: the name stays listed.
      if (m?.arguments || m?.cel !== undefined || when?.triggeredBy) {
        if (rule.action !== 'Deny') return true;
        continue;
      }
      return rule.action !== 'Deny' || this.spec.mode === 'Audit';
    }
    return this.spec.defaultAction !== 'Deny' || this.spec.mode === 'Audit';
  }

  private finish(action: Action, rule: string, message?: string): Decision {
    return { action, rule, ...(message ? { message } : {}), blocked: action !== 'Allow' && this.spec.mode !== 'Audit' };
  }

  private matches(
    rule: RuleSpec,
    f: McpCallFacts,
    target: McpTargetSpec,
    principal: PrincipalFacts,
    person?: TriggeringPerson,
  ): boolean {
    const when = rule.when;
    if (!when) return true;
    if (when.targets && !when.targets.includes(target.name)) return false;
    if (when.sql || when.http) return false;
    if (when.triggeredBy && !triggeredByMatches(when.triggeredBy, person)) return false;
    const m = when.mcp;
    if (!m) return true;
    const unclear = rule.action !== 'Allow';
    if (m.tools && (f.tool === undefined || !m.tools.some((g) => globMatch(g, f.tool!)))) return false;
    if (m.resources) {
      // Deny and RequireApproval rules match either form of the URI, Allow rules need both.
      const forms = f.uri === undefined ? [] : uriForms(f.uri);
      const one = (u: string): boolean => m.resources!.some((g) => globMatch(g, u));
      if (!forms.length || !(unclear ? forms.some(one) : forms.every(one))) return false;
    }
    if (m.prompts && (f.prompt === undefined || !m.prompts.some((g) => globMatch(g, f.prompt!)))) return false;
    for (const c of m.arguments ?? []) {
      const found = (f.arguments ? selectValues(compileJsonPath(c.path), f.arguments) : []).map(jsonText);
      if (c.pattern === undefined && c.values === undefined) {
        if (!valuesMatch(c, found.length ? found : undefined, unclear)) return false;
        continue;
      }
      // A rule sees the text as sent, the server the path it resolves: a value whose resolution the
      // proxy cannot know is undecidable, and otherwise every form is matched (see path-forms.ts).
      if (
        found.some((v) => undecidablePath(v, [...(c.pattern !== undefined ? [c.pattern] : []), ...(c.values ?? [])]))
      ) {
        if (!unclear) return false;
        continue;
      }
      const forms = found.flatMap(pathForms);
      const inEach = UNICODE_FORMS.map((u) =>
        valuesMatch(
          {
            ...c,
            ...(c.pattern !== undefined ? { pattern: inForm(c.pattern, u) } : {}),
            ...(c.values ? { values: c.values.map((x) => inForm(x, u)) } : {}),
          },
          forms.length ? forms.map((x) => inForm(x, u)) : undefined,
          unclear,
        ),
      );
      if (!(unclear ? inEach.some(Boolean) : inEach.every(Boolean))) return false;
    }
    if (m.cel !== undefined) {
      // Seen as sent and as the server resolves paths (relative and `~` ones against every directory
      // the expression names), like pattern conditions: any form for Deny and RequireApproval, all for Allow.
      const each = celRequests(f, principal, candidateRoots(m.cel)).map((r) => {
        try {
          return celProgram(m.cel!)(r);
        } catch {
          return unclear;
        }
      });
      if (!(unclear ? each.some(Boolean) : each.every(Boolean))) return false;
    }
    return true;
  }
}

/**
 * A URI as sent, as servers built on the SDK look it up (`new URL(uri).href`: scheme lower-cased, `.`
 * and `..` segments resolved), so `DEMO://x/./secret` is the `demo://x/secret` a rule names, and with
 * each numeric path segment in its canonical form (`01`, `1.0`, `0x1` as `1`): servers read template
 * variables as numbers (`Number(id)`), so those name resource 1 to them.
 */
function uriForms(uri: string): string[] {
  let parsed: string | undefined;
  try {
    parsed = new URL(uri).href;
  } catch {
    // not a URL: the text as sent is all there is
  }
  const forms = parsed === undefined || parsed === uri ? [uri] : [uri, parsed];
  const numeric = canonicalNumbers(parsed ?? uri);
  return numeric === undefined || forms.includes(numeric) ? forms : [...forms, numeric];
}

/** The URI with every path segment that Number() reads as a finite number written canonically (undefined: none). */
function canonicalNumbers(uri: string): string | undefined {
  const at = uri.search(/[?#]/);
  const path = at < 0 ? uri : uri.slice(0, at);
  const start = /^[a-z][a-z0-9+.-]*:\/\/[^/]*/i.exec(path)?.[0].length ?? 0;
  let changed = false;
  const segments = path
    .slice(start)
    .split('/')
    .map((seg) => {
      const n = seg.trim() === '' ? NaN : Number(seg);
      if (!Number.isFinite(n) || String(n) === seg) return seg;
      changed = true;
      return String(n);
    });
  return changed ? path.slice(0, start) + segments.join('/') + (at < 0 ? '' : uri.slice(at)) : undefined;
}

/** The CEL request in every form of its arguments and URI (path-forms.ts). */
function celRequests(f: McpCallFacts, p: PrincipalFacts, roots: readonly string[]): McpCelRequest[] {
  const base = {
    method: f.method,
    tool: f.tool ?? '',
    prompt: f.prompt ?? '',
    principal: { sub: p.sub, iss: p.iss, ...(p.triggeredBy ? { triggeredBy: p.triggeredBy } : {}) },
    target: f.target,
  };
  const uris = f.uri === undefined ? [''] : uriForms(f.uri);
  const out: McpCelRequest[] = [];
  for (const args of argumentForms(f.arguments ?? {}, roots))
    for (const uri of uris) out.push({ ...base, uri, arguments: args });
  return out;
}
