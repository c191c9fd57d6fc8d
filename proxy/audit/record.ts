/**
 * Audit record schema, version 2 (docs/audit-schema.md). One JSON object per line; `prevHash` and
 * `hash` chain the lines: hash = sha256(the line's JSON text without its trailing hash field).
 * Where a convention fits, fields carry its name (Elastic Common Schema, which OpenTelemetry's
 * semantic conventions share these names with): `@timestamp`, `event.action|outcome|duration`,
 * `message`, `session.id`, `client.address|port`, `db.query.text`, `db.operation.name`,
 * `db.response.returned_rows`, `rule.name`, `error.code|message`. The rest is agentgate's own.
 */
export const AUDIT_SCHEMA = 'agentgate.audit/v2';
export const GENESIS_HASH = '0'.repeat(64);

export type AuditEvent =
  | 'proxy.start'
  | 'proxy.stop'
  | 'policy.updated'
  | 'policy.tampered'
  | 'connection.open'
  | 'connection.close'
  | 'identity.accepted'
  | 'identity.rejected'
  | 'protocol.error'
  | 'session.invariant-violated'
  | 'statement.decision'
  | 'statement.completion'
  | 'statement.cap-exceeded'
  | 'approval.requested'
  | 'approval.decided'
  | 'approval.grant-used'
  /** A one-shot grant recorded Used at the operator whose operation did not run (agent gone, cancelled, refused). */
  | 'approval.grant-spent'
  | 'audit.checkpoint'
  | 'audit.checkpoint-failed'
  | 'audit.recordings-repaired';

export interface AuditFields {
  /** ECS event.*: what happened, whether it went through, how long it took (nanoseconds). */
  event: { action: AuditEvent; outcome?: 'success' | 'failure' | 'unknown'; duration?: number };
  session?: { id: string };
  connection?: string;
  principal?: {
    iss: string;
    sub: string;
    jti?: string;
    kubernetes?: { namespace: string; serviceAccount: string; pod?: string };
    /** Who triggered the run (run tokens); absent when the agent acted on its own. */
    triggeredBy?: { iss: string; sub: string; email?: string; groups?: string[] };
    runId?: string;
  };
  target?: string;
  client?: { address: string; port?: number };
  /** OpenTelemetry db.*: the (masked) statement text, the command, rows returned. */
  db?: { query?: { text: string }; operation?: { name: string }; response?: { returned_rows: number } };
  fingerprint?: string;
  kind?: string;
  effects?: string[];
  tables?: string[];
  functions?: string[];
  unboundedWrite?: boolean;
  protocol?: 'simple' | 'extended' | 'function-call' | 'copy' | 'http' | 'mcp';
  /** HTTP targets: the request (path masked; never the body, only its size and the approval hash) and, on completion, the response. */
  http?: {
    method: string;
    path: string;
    pathTemplate?: string;
    status?: number;
    requestBytes?: number;
    responseBytes?: number;
    bodySha256?: string;
  };
  /** MCP targets: the call (masked arguments and their hash) and, on completion, the result's size. */
  mcp?: {
    method: string;
    tool?: string;
    uri?: string;
    prompt?: string;
    argumentsSha256?: string;
    arguments?: string;
    requestBytes?: number;
    resultBytes?: number;
    isError?: boolean;
  };
  decision?: 'Allow' | 'Deny' | 'RequireApproval';
  enforced?: boolean;
  rule?: { name: string };
  message?: string;
  reasons?: string[];
  /** Id of the decision record a completion belongs to. */
  decisionSeq?: number;
  maskedValues?: number;
  error?: { code?: string; message: string };
  policy?: { name: string; namespace?: string; generation?: number; mode?: string };
  detail?: Record<string, unknown>;
}

export interface AuditRecord extends AuditFields {
  schema: typeof AUDIT_SCHEMA;
  seq: number;
  '@timestamp': string;
  prevHash: string;
  hash: string;
}

/** hash of a record line as written: sha256 of the line without its trailing `,"hash":"…"}`. */
export function lineHash(line: string): { body: string; claimed: string } | undefined {
  const m = /,"hash":"([0-9a-f]{64})"\}$/.exec(line);
  if (!m) return undefined;
  return { body: `${line.slice(0, m.index)}}`, claimed: m[1]! };
}

/** The fields version 1 named differently (agentgate.audit/v1, before the ECS / OpenTelemetry names). */
interface RecordV1 {
  time: string;
  event: AuditEvent;
  session?: string;
  client?: string;
  statement?: string;
  command?: string;
  rows?: number;
  durationMs?: number;
  rule?: string;
}

/**
 * Parses a record line for reading, in the current shape whatever version wrote it (a v1 record is
 * presented with v2 names). Hashes are always checked on the line as written, never on this object.
 */
export function parseRecord(line: string): AuditRecord {
  const raw = JSON.parse(line) as Record<string, unknown>;
  if (raw.schema !== 'agentgate.audit/v1') return raw as unknown as AuditRecord;
  const { time, event, session, client, statement, command, rows, durationMs, rule, ...rest } =
    raw as unknown as RecordV1 & Record<string, unknown>;
  const port = client ? Number(client.slice(client.lastIndexOf(':') + 1)) : NaN;
  const db = {
    ...(statement !== undefined ? { query: { text: statement } } : {}),
    ...(command !== undefined ? { operation: { name: command } } : {}),
    ...(rows !== undefined ? { response: { returned_rows: rows } } : {}),
  };
  return {
    ...rest,
    '@timestamp': time,
    event: { action: event, ...(durationMs !== undefined ? { duration: Math.round(durationMs * 1e6) } : {}) },
    ...(session ? { session: { id: session } } : {}),
    ...(client
      ? { client: { address: client.slice(0, client.lastIndexOf(':')), ...(Number.isFinite(port) ? { port } : {}) } }
      : {}),
    ...(Object.keys(db).length ? { db } : {}),
    ...(rule !== undefined ? { rule: { name: rule } } : {}),
  } as AuditRecord;
}
