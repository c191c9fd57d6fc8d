/**
 * What the evidence report shows of one decided operation, in its protocol's terms: SQL its effects and
 * tables, HTTP the method, path template, path and the status the agent got, MCP the tool (or resource,
 * prompt) and the hash of its arguments. Statuses come from the completion records, joined to their
 * decision by session and decisionSeq.
 */
import type { AuditRecord } from './record.js';

export interface OperationColumns {
  protocol: string;
  httpMethod: string;
  httpPathTemplate: string;
  httpPath: string;
  /** The status the agent got: the upstream's, or 403 when the proxy refused the request. */
  httpStatus: string;
  mcpMethod: string;
  mcpTool: string;
  mcpArgumentsSha256: string;
}

export const OPERATION_CSV_HEADER =
  'protocol,http_method,http_path_template,http_path,http_status,mcp_method,mcp_tool,mcp_arguments_sha256';

const sessionOf = (r: AuditRecord): string | undefined =>
  typeof r.session === 'object' ? r.session?.id : (r.session as string | undefined);

/** Statuses of forwarded HTTP requests, by the decision record they complete. */
export function completionStatuses(records: AuditRecord[]): (decision: AuditRecord) => number | undefined {
  const status = new Map<string, number>();
  for (const r of records) {
    if (r.event.action !== 'statement.completion' || r.decisionSeq === undefined || r.http?.status === undefined)
      continue;
    status.set(`${sessionOf(r)}\0${r.decisionSeq}`, r.http.status);
  }
  return (d) => status.get(`${sessionOf(d)}\0${d.seq}`);
}

export function operationColumns(r: AuditRecord, statusOf: (d: AuditRecord) => number | undefined): OperationColumns {
  const h = r.http;
  const m = r.mcp;
  const status = h ? (statusOf(r) ?? (r.enforced ? 403 : undefined)) : undefined;
  return {
    protocol: r.protocol === 'http' || r.protocol === 'mcp' ? r.protocol : r.protocol ? 'postgres' : '',
    httpMethod: h?.method ?? '',
    httpPathTemplate: h?.pathTemplate ?? '',
    httpPath: h?.path ?? '',
    httpStatus: status === undefined ? '' : String(status),
    mcpMethod: m?.method ?? '',
    mcpTool: m?.tool ?? m?.uri ?? m?.prompt ?? '',
    mcpArgumentsSha256: m?.argumentsSha256 ?? '',
  };
}

export function operationCsv(c: OperationColumns): unknown[] {
  return [
    c.protocol,
    c.httpMethod,
    c.httpPathTemplate,
    c.httpPath,
    c.httpStatus,
    c.mcpMethod,
    c.mcpTool,
    c.mcpArgumentsSha256,
  ];
}

/** One cell for the report's tables: what the operation was, in its protocol's terms. */
export function operationCell(r: AuditRecord, c: OperationColumns): string {
  if (c.protocol === 'http')
    return `${c.httpMethod} ${c.httpPath}${c.httpPathTemplate ? ` (template ${c.httpPathTemplate})` : ''}${c.httpStatus ? `, status ${c.httpStatus}` : ''}`;
  if (c.protocol === 'mcp')
    return `${c.mcpMethod} ${c.mcpTool}${c.mcpArgumentsSha256 ? `, arguments sha256 ${c.mcpArgumentsSha256}` : ''}`;
  return (r.effects ?? []).join(', ');
}
