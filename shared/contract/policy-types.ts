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
  audiences: string[];
  jwksFile?: string;
  jwksUri?: string;
  /**
   * How the API server names this issuer's people (its OIDC username claim and prefix), so that the
   * person who triggered a run cannot approve its statements. Default: claim sub, prefix `<issuer>#`.
   */
  kubernetesUsername?: { claim?: 'sub' | 'email'; prefix?: string };
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

export interface RuleSpec {
  name: string;
  when?: {
    targets?: string[];
    sql?: { effects?: Effect[]; tables?: string[]; functions?: string[]; unboundedWrite?: boolean };
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
  subjects?: { serviceAccounts?: { name: string; namespace?: string }[]; podSelector?: { matchLabels?: Record<string, string> } };
  identity: { issuers: IssuerSpec[]; maxTokenLifetimeSeconds: number; requireTriggeredBy?: boolean; triggerIssuers?: TriggerIssuerSpec[] };
  targets: TargetSpec[];
  rules?: RuleSpec[];
  defaultAction: Action;
  approval?: ApprovalSpec;
  masking?: MaskingSpec;
  audit?: { includeStatementText?: boolean };
  /** Size limits on protocol messages and statement text (defaults in proxy/postgres/limits.ts). */
  protocolLimits?: { maxMessageBytes?: number; maxStatementBytes?: number };
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
  metadata: { name: string; namespace?: string; generation?: number; uid?: string; resourceVersion?: string; annotations?: Record<string, string> };
  spec: PolicySpec;
}
