/**
 * The AgentAccessPolicy as the proxy reads it (after validation and defaulting). The schema of record
 * is crds/agentaccesspolicy.yaml; the validator checks documents against it, so these types and the CRD
 * cannot drift silently (test/unit/policy.test.ts keeps them in agreement).
 */
/** What a statement does, as rules name it (`when.sql.effects`) and the classifier reports it. */
export const EFFECTS = ['read', 'write', 'ddl', 'privilege', 'admin', 'session', 'transaction', 'unknown'] as const;
export type Effect = (typeof EFFECTS)[number];

export type Action = 'Allow' | 'Deny' | 'RequireApproval';
export type MaskStrategy = 'redact' | 'partial' | 'hash';
export type Detector = 'creditCard' | 'email' | 'usSsn' | 'iban' | 'secret';

export interface IssuerSpec {
  issuer: string;
  audiences: string[];
  jwksFile?: string;
  jwksUri?: string;
  kubernetes?: boolean;
  caFile?: string;
}

export interface TriggerIssuerSpec {
  issuer: string;
  /** OIDC: accepted `aud` values. SAML: the Audience the assertion must be restricted to (our SP entity ID). */
  audiences: string[];
  jwksFile?: string;
  jwksUri?: string;
  /** OIDC: the ID token claim listing the person's groups. */
  groupsClaim?: string;
  /** A SAML 2.0 IdP (operator/identity/saml-subject.ts); `issuer` is its entity ID. */
  saml?: SamlTriggerSpec;
  /**
   * How the API server names this issuer's people (its OIDC username claim and prefix), so that the
   * person who triggered a run cannot approve its statements. Default: claim sub, prefix `<issuer>#`.
   */
  kubernetesUsername?: { claim?: 'sub' | 'email'; prefix?: string };
}

export interface SamlTriggerSpec {
  /** Signing certificates (PEM or base64 DER); exactly one of certificates, metadataFile or metadataUrl. */
  certificates?: string[];
  metadataFile?: string;
  metadataUrl?: string;
  /** What the bearer SubjectConfirmationData Recipient must be; default the token endpoint URL. */
  recipient?: string;
  clockSkewSeconds?: number;
  /** Attribute carrying the person's name (default: the NameID). */
  nameAttribute?: string;
  groupsAttribute?: string;
}

export interface TargetSpec {
  name: string;
  protocol: 'postgres';
  listen: string;
  access: 'ReadOnly' | 'ReadWrite';
  upstream: {
    host: string;
    port: number;
    database: string;
    user: string;
    sslMode: 'disable' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';
    caFile?: string;
  };
  credentials: { passwordEnv?: string; passwordFile?: string; secretRef?: { name: string; key: string } };
  tls?: { certFile: string; keyFile: string };
}

/** How an HTTP target's secret is presented upstream (the agent never holds it). */
export interface HttpCredentialsSpec {
  passwordEnv?: string;
  passwordFile?: string;
  secretRef?: { name: string; key: string };
  /** bearer: `Authorization: Bearer <secret>`; basic: `Authorization: Basic` with username; header: `<header>: <secret>`. */
  scheme?: 'bearer' | 'basic' | 'header';
  username?: string;
  header?: string;
}

/** An internal HTTP API guarded like a database (proxy/http/). */
export interface HttpTargetSpec {
  name: string;
  protocol: 'http';
  listen: string;
  /** ReadOnly: only GET, HEAD and OPTIONS reach the upstream. */
  access: 'ReadOnly' | 'ReadWrite';
  upstream: { url: string; caFile?: string; serverName?: string };
  credentials?: HttpCredentialsSpec;
  tls?: { certFile: string; keyFile: string };
  /** A forward-proxy listener (HTTP_PROXY style); targets may share one, routed by the request's origin. */
  forwardProxy?: { listen: string; allowConnect?: boolean };
  /** JSON response fields masked whole: `$.customers[*].card_number`, or a key name anywhere. */
  maskFields?: { path: string; strategy?: MaskStrategy }[];
  limits?: {
    maxHeaderBytes?: number;
    maxRequestBodyBytes?: number;
    maxResponseBodyBytes?: number;
    requestTimeoutSeconds?: number;
  };
}

/** An MCP server guarded call by call (proxy/mcp/): reached by URL, or a stdio process the sidecar launches. */
export interface McpTargetSpec {
  name: string;
  protocol: 'mcp';
  listen: string;
  access: 'ReadOnly' | 'ReadWrite';
  upstream: {
    url?: string;
    transport?: 'streamableHttp' | 'sse';
    caFile?: string;
    serverName?: string;
    command?: string;
    args?: string[];
    env?: McpEnvSpec[];
  };
  /** For a url upstream: the secret presented to the server (as for http targets). */
  credentials?: HttpCredentialsSpec;
  tls?: { certFile: string; keyFile: string };
  maskFields?: { path: string; strategy?: MaskStrategy }[];
  limits?: {
    maxHeaderBytes?: number;
    maxRequestBodyBytes?: number;
    maxResponseBodyBytes?: number;
    requestTimeoutSeconds?: number;
  };
  mcp?: {
    capabilities?: { sampling?: boolean; elicitation?: boolean };
    acceptedTools?: { tool: string; sha256: string }[];
  };
}

export interface McpEnvSpec {
  name: string;
  value?: string;
  valueFromEnv?: string;
  valueFromFile?: string;
  secretRef?: { name: string; key: string };
}

export type AnyTargetSpec = TargetSpec | HttpTargetSpec | McpTargetSpec;

export function isHttpTarget(t: AnyTargetSpec): t is HttpTargetSpec {
  return t.protocol === 'http';
}

export function isMcpTarget(t: AnyTargetSpec): t is McpTargetSpec {
  return t.protocol === 'mcp';
}

export function postgresTargets(spec: PolicySpec): TargetSpec[] {
  return spec.targets.filter((t): t is TargetSpec => t.protocol === 'postgres');
}

/** A condition on one named value (query parameter, header, JSON body field). */
export interface HttpValueCondition {
  present?: boolean;
  /** Matches when the value equals one of these. */
  values?: string[];
  /** Glob (`*` any run of characters). */
  pattern?: string;
}

export interface HttpWhen {
  methods?: string[];
  /** Path templates: `{name}` one segment, `*` one segment, `**` any number of segments. */
  paths?: string[];
  query?: (HttpValueCondition & { name: string })[];
  headers?: (HttpValueCondition & { name: string })[];
  /** JSON request-body fields by path (`$.a.b`, `$.items[*].id`). */
  body?: (HttpValueCondition & { path: string })[];
  /** A CEL expression over `request` (proxy/http/cel.ts). */
  cel?: string;
}

/** Conditions on an MCP message (proxy/mcp/decide-mcp.ts). */
export interface McpWhen {
  /** Tool name globs: the rule matches tools/call of these tools. */
  tools?: string[];
  /** Conditions on the call's (or prompt's) arguments by JSON path. */
  arguments?: (HttpValueCondition & { path: string })[];
  /** Resource URI globs (resources/read). */
  resources?: string[];
  /** Prompt name globs (prompts/get). */
  prompts?: string[];
  /** A CEL expression over `request` (proxy/mcp/mcp-facts.ts). */
  cel?: string;
}

export interface RuleSpec {
  name: string;
  when?: {
    targets?: string[];
    /** The person who triggered the run: in any of these groups (and, if set, from one of these issuers). */
    triggeredBy?: { groups?: string[]; issuers?: string[] };
    sql?: { effects?: Effect[]; tables?: string[]; functions?: string[]; unboundedWrite?: boolean };
    http?: HttpWhen;
    mcp?: McpWhen;
  };
  action: Action;
  message?: string;
}

export interface MaskingSpec {
  detectors?: Detector[];
  columns?: { name: string; strategy?: MaskStrategy }[];
  patterns?: { name: string; regex: string; strategy?: MaskStrategy }[];
  defaultStrategy: MaskStrategy;
}

export interface ApprovalSpec {
  mode: 'Hold' | 'Reject';
  timeoutSeconds: number;
  approvers?: { users?: string[]; groups?: string[] };
  requiredApprovals: number;
  /** ttlSeconds 0: one execution, within useWithinSeconds of the approval (default timeoutSeconds). */
  grant?: { ttlSeconds: number; useWithinSeconds?: number };
  retentionSeconds: number;
}

export interface PolicySpec {
  mode: 'Enforce' | 'Audit';
  subjects?: {
    serviceAccounts?: { name: string; namespace?: string }[];
    podSelector?: { matchLabels?: Record<string, string> };
  };
  identity: {
    issuers: IssuerSpec[];
    maxTokenLifetimeSeconds: number;
    requireTriggeredBy?: boolean;
    triggerIssuers?: TriggerIssuerSpec[];
  };
  targets: AnyTargetSpec[];
  rules?: RuleSpec[];
  defaultAction: Action;
  approval?: ApprovalSpec;
  /** Who reviews this policy's deviations (DeviationReview objects) and when an open one becomes an exception. */
  review?: { reviewers?: { users?: string[]; groups?: string[] }; maxOpenHours?: number };
  masking?: MaskingSpec;
  audit?: { includeStatementText?: boolean };
  /** Size limits on protocol messages, statement text and what a session's prepared statements hold (defaults in proxy/postgres/limits.ts). */
  protocolLimits?: { maxMessageBytes?: number; maxStatementBytes?: number; maxPreparedBytes?: number };
  runtimeLimits?: RuntimeLimits;
}

/** Caps enforced while a statement runs (proxy/postgres/runtime-caps.ts). */
export interface RuntimeLimits {
  maxRowsAffected?: number;
  maxRowsReturned?: number;
  maxStatementSeconds?: number;
}

export interface AgentAccessPolicy {
  apiVersion: 'agentgate.dev/v1alpha1';
  kind: 'AgentAccessPolicy';
  metadata: {
    name: string;
    namespace?: string;
    generation?: number;
    uid?: string;
    resourceVersion?: string;
    annotations?: Record<string, string>;
  };
  spec: PolicySpec;
}
