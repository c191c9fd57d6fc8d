/**
 * Policy validation with precise errors (path + reason). Structural checks come from the CRD's own
 * openAPIV3Schema (one schema, two readers: the API server and this validator); semantic checks are the
 * ones the schema cannot express (the CRD's CEL rules, uniqueness, RE2 patterns that must compile).
 */
import type { ErrorObject } from 'ajv';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { RE2JS } from 're2js';
import { targetEnvErrors } from './agent-env.js';
import { loadSchemaValidator, type SchemaValidator } from './policy-schema-validator.js';
import { samlTriggerErrors, triggeredByRuleErrors } from './saml-trigger.js';
import { forwardProxyListens, httpTargetErrors, httpWhenErrors, postgresTargetErrors } from './validate-http.js';
import { mcpTargetErrors, mcpWhenErrors } from './validate-mcp.js';
import type { AgentAccessPolicy } from './policy-types.js';

/** proxy/postgres/limits.ts DEFAULT_MAX_STATEMENT_BYTES (the contract does not import the proxy). */
const DEFAULT_MAX_STATEMENT_BYTES = 1024 * 1024;
/** proxy/postgres/held-bytes.ts DEFAULT_MAX_PREPARED_BYTES. */
const DEFAULT_MAX_PREPARED_BYTES = 32 * 1024 * 1024;

export interface PolicyError {
  path: string;
  message: string;
}

export class PolicyValidationError extends Error {
  constructor(
    readonly errors: PolicyError[],
    source?: string,
  ) {
    super(
      `invalid AgentAccessPolicy${source ? ` in ${source}` : ''}:\n${errors.map((e) => `  ${e.path}: ${e.message}`).join('\n')}`,
    );
    this.name = 'PolicyValidationError';
  }
}

const CRD_FILE = new URL('../../crds/agentaccesspolicy.yaml', import.meta.url);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Schema = any;

/** The CRD's schema as JSON Schema: Kubernetes extensions dropped, unknown fields refused. */
export function policyJsonSchema(): Schema {
  // yaml is loaded only here: the built app validates with the generated module and never reads the CRD.
  const { parse: parseYaml } = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  const crd = parseYaml(readFileSync(CRD_FILE, 'utf8'));
  const schema = crd.spec.versions[0].schema.openAPIV3Schema;
  const convert = (s: Schema, path: string): Schema => {
    if (Array.isArray(s)) return s.map((x) => convert(x, path));
    if (!s || typeof s !== 'object') return s;
    const out: Schema = {};
    for (const [k, v] of Object.entries(s)) {
      if (k.startsWith('x-kubernetes-')) continue;
      if (k === 'properties')
        out[k] = Object.fromEntries(Object.entries(v as object).map(([pk, pv]) => [pk, convert(pv, `${path}.${pk}`)]));
      else out[k] = convert(v, path);
    }
    // The API server prunes unknown fields (and kubectl's strict field validation refuses them): refuse them here too.
    if (
      out.type === 'object' &&
      out.properties &&
      out.additionalProperties === undefined &&
      !path.endsWith('.metadata') &&
      !path.endsWith('.status')
    ) {
      out.additionalProperties = false;
    }
    return out;
  };
  return convert(schema, '');
}

let compiled: SchemaValidator | undefined;
function structural(): SchemaValidator {
  compiled ??= loadSchemaValidator(policyJsonSchema);
  return compiled;
}

function pathOf(e: ErrorObject): string {
  const parts = e.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let out = '';
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : out ? `.${p}` : p;
  if (e.keyword === 'additionalProperties')
    out += `${out ? '.' : ''}${(e.params as { additionalProperty: string }).additionalProperty}`;
  if (e.keyword === 'required') out += `${out ? '.' : ''}${(e.params as { missingProperty: string }).missingProperty}`;
  return out || '(document)';
}

function messageOf(e: ErrorObject): string {
  switch (e.keyword) {
    case 'additionalProperties':
      return 'unknown field';
    case 'required':
      return 'required field is missing';
    case 'enum':
      return `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return e.message ?? e.keyword;
  }
}

/** Validates and defaults a parsed document in place; returns it typed, or throws PolicyValidationError. */
export function validatePolicy(doc: unknown, source?: string): AgentAccessPolicy {
  const errors: PolicyError[] = [];
  if (!doc || typeof doc !== 'object' || Array.isArray(doc))
    throw new PolicyValidationError([{ path: '(document)', message: 'must be a YAML/JSON object' }], source);
  const d = doc as Record<string, unknown>;
  if (d.apiVersion !== 'agentgate.dev/v1alpha1')
    errors.push({ path: 'apiVersion', message: 'must be "agentgate.dev/v1alpha1"' });
  if (d.kind !== 'AgentAccessPolicy') errors.push({ path: 'kind', message: 'must be "AgentAccessPolicy"' });
  const md = d.metadata as Record<string, unknown> | undefined;
  if (!md || typeof md.name !== 'string' || !md.name)
    errors.push({ path: 'metadata.name', message: 'required field is missing' });
  const validate = structural();
  if (!validate(doc)) {
    const seen = new Set<string>();
    for (const e of validate.errors ?? []) {
      if (e.keyword === 'if') continue;
      const item = { path: pathOf(e), message: messageOf(e) };
      const k = `${item.path}|${item.message}`;
      if (!seen.has(k)) {
        errors.push(item);
        seen.add(k);
      }
    }
  }
  if (errors.length) throw new PolicyValidationError(errors, source);
  errors.push(...semanticErrors(doc as AgentAccessPolicy));
  if (errors.length) throw new PolicyValidationError(errors, source);
  return doc as AgentAccessPolicy;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/;

/** The rules the schema cannot express. Shared with the operator (Ready=False + Event on failure). */
export function semanticErrors(p: AgentAccessPolicy): PolicyError[] {
  const errors: PolicyError[] = [];
  const spec = p.spec;
  spec.identity.issuers.forEach((iss, i) => {
    const n = [iss.jwksFile !== undefined, iss.jwksUri !== undefined, iss.kubernetes === true].filter(Boolean).length;
    if (n !== 1)
      errors.push({
        path: `spec.identity.issuers[${i}]`,
        message: 'set exactly one of jwksFile, jwksUri or kubernetes',
      });
  });
  const samlIssuers = new Set<string>();
  const triggerIssuers = new Set<string>();
  (spec.identity.triggerIssuers ?? []).forEach((iss, i) => {
    if (iss.saml && samlIssuers.has(iss.issuer))
      errors.push({
        path: `spec.identity.triggerIssuers[${i}].issuer`,
        message: `another SAML trigger issuer has entity ID ${iss.issuer}`,
      });
    // Run tokens name the person's issuer by this string alone: two entries would be one for rules and approvals.
    else if (triggerIssuers.has(iss.issuer))
      errors.push({
        path: `spec.identity.triggerIssuers[${i}].issuer`,
        message: `another trigger issuer is ${iss.issuer} too (OIDC and SAML entries must differ: rules on when.triggeredBy.issuers could not tell their people apart)`,
      });
    if (iss.saml) samlIssuers.add(iss.issuer);
    triggerIssuers.add(iss.issuer);
    if ([iss.jwksFile, iss.jwksUri, iss.saml].filter((x) => x !== undefined).length !== 1)
      errors.push({
        path: `spec.identity.triggerIssuers[${i}]`,
        message: 'set exactly one of jwksFile, jwksUri or saml',
      });
    if (iss.saml) errors.push(...samlTriggerErrors(iss, `spec.identity.triggerIssuers[${i}]`));
    const k = iss.kubernetesUsername;
    if (
      k !== undefined &&
      (typeof k !== 'object' ||
        k === null ||
        Object.keys(k).some((x) => x !== 'claim' && x !== 'prefix') ||
        (k.claim !== undefined && k.claim !== 'sub' && k.claim !== 'email') ||
        (k.prefix !== undefined && (typeof k.prefix !== 'string' || k.prefix.length > 512)))
    ) {
      errors.push({
        path: `spec.identity.triggerIssuers[${i}].kubernetesUsername`,
        message: "must be {claim: sub|email, prefix: string} (the API server's OIDC username claim and prefix)",
      });
    }
  });
  if (spec.identity.requireTriggeredBy && !spec.identity.triggerIssuers?.length) {
    errors.push({ path: 'spec.identity.triggerIssuers', message: 'required when requireTriggeredBy is true' });
  }
  const names = new Set<string>();
  const listens = new Set<string>();
  errors.push(...targetEnvErrors(spec.targets));
  spec.targets.forEach((t, i) => {
    if (names.has(t.name))
      errors.push({ path: `spec.targets[${i}].name`, message: `duplicate target name "${t.name}"` });
    names.add(t.name);
    if (listens.has(t.listen))
      errors.push({ path: `spec.targets[${i}].listen`, message: `address ${t.listen} is used by another target` });
    listens.add(t.listen);
    const host = t.listen.slice(0, t.listen.lastIndexOf(':'));
    const port = Number(t.listen.slice(t.listen.lastIndexOf(':') + 1));
    if (!(port >= 1 && port <= 65535))
      errors.push({ path: `spec.targets[${i}].listen`, message: `port ${port} is out of range` });
    if (!LOOPBACK.test(host) && !t.tls) {
      errors.push({
        path: `spec.targets[${i}].tls`,
        message: `required: listener ${t.listen} is not on loopback, and tokens must not cross the network in clear`,
      });
    }
    const c = t.credentials;
    const n = c ? [c.passwordEnv, c.passwordFile, c.secretRef].filter((x) => x !== undefined).length : 0;
    if (n !== 1 && (c || t.protocol === 'postgres'))
      errors.push({
        path: `spec.targets[${i}].credentials`,
        message: 'set exactly one of passwordEnv, passwordFile or secretRef',
      });
    errors.push(
      ...(t.protocol === 'http'
        ? httpTargetErrors(t, i)
        : t.protocol === 'mcp'
          ? mcpTargetErrors(t, i)
          : postgresTargetErrors(t, i)),
    );
  });
  for (const [listen, i] of forwardProxyListens(spec)) {
    if (listens.has(listen))
      errors.push({
        path: `spec.targets[${i}].forwardProxy.listen`,
        message: `address ${listen} is used by a target's own listener`,
      });
  }
  const rules = new Set<string>();
  (spec.rules ?? []).forEach((r, i) => {
    if (rules.has(r.name)) errors.push({ path: `spec.rules[${i}].name`, message: `duplicate rule name "${r.name}"` });
    rules.add(r.name);
    (r.when?.targets ?? []).forEach((t, j) => {
      if (!names.has(t))
        errors.push({ path: `spec.rules[${i}].when.targets[${j}]`, message: `no target named "${t}"` });
    });
    errors.push(...triggeredByRuleErrors(r, i, spec));
    if (r.when?.http) errors.push(...httpWhenErrors(r, i));
    if (r.when?.mcp) errors.push(...mcpWhenErrors(r, i));
  });
  const needsApproval =
    spec.defaultAction === 'RequireApproval' || (spec.rules ?? []).some((r) => r.action === 'RequireApproval');
  const approvers = spec.approval?.approvers;
  if (needsApproval && !(approvers?.users?.length || approvers?.groups?.length)) {
    errors.push({
      path: 'spec.approval.approvers',
      message: 'required: a RequireApproval rule needs someone who may approve',
    });
  }
  const limits = spec.protocolLimits;
  if (
    limits?.maxStatementBytes !== undefined &&
    limits.maxMessageBytes !== undefined &&
    limits.maxStatementBytes > limits.maxMessageBytes
  ) {
    errors.push({ path: 'spec.protocolLimits.maxStatementBytes', message: 'cannot exceed maxMessageBytes' });
  }
  // Two statements of maxStatementBytes and their portals must fit at their counted cost (held-bytes.ts:
  // 1 KiB + 2x the UTF-8 bytes, 8x for texts up to 4096 characters, i.e. up to 12288 bytes).
  const statementBytes = limits?.maxStatementBytes ?? DEFAULT_MAX_STATEMENT_BYTES;
  if (typeof statementBytes === 'number') {
    const needed = 2 * (1024 + Math.max(2 * statementBytes, 8 * Math.min(statementBytes, 12288))) + 1024;
    if ((limits?.maxPreparedBytes ?? DEFAULT_MAX_PREPARED_BYTES) < needed)
      errors.push({
        path: 'spec.protocolLimits.maxPreparedBytes',
        message: `must be at least ${needed}: two statements of maxStatementBytes and their portals at their counted cost (an unnamed statement and its replacement are both held until the server confirms it)`,
      });
  }
  (spec.masking?.patterns ?? []).forEach((pat, i) => {
    const err = re2Error(pat.regex);
    if (err) errors.push({ path: `spec.masking.patterns[${i}].regex`, message: `not a valid RE2 pattern: ${err}` });
  });
  return errors;
}

function re2Error(regex: string): string | undefined {
  try {
    RE2JS.compile(regex);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}
