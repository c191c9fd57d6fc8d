/** RFC 9457 problem details: every refusal the HTTP adapter sends, naming the rule where one decided. */
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

export interface Problem {
  status: number;
  title: string;
  detail: string;
  rule?: string;
  approvalRequest?: string;
}

export function problemBody(p: Problem): string {
  return JSON.stringify({
    type: `https://agentgate.dev/problems/${p.title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`,
    title: p.title,
    status: p.status,
    detail: `agentgate: ${p.detail}`,
    ...(p.rule ? { rule: p.rule } : {}),
    ...(p.approvalRequest ? { approvalRequest: p.approvalRequest } : {}),
  });
}

export function sendProblem(
  res: ServerResponse,
  p: Problem,
  extraHeaders: Record<string, string> = {},
  close = false,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = problemBody(p);
  res.writeHead(p.status, {
    'content-type': 'application/problem+json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    ...(close ? { connection: 'close' } : {}),
    ...extraHeaders,
  });
  res.end(body);
}

/** On a raw socket (a client error before a request object exists, or a CONNECT): the response, then close. */
export function socketProblem(socket: Duplex, p: Problem, reason: string): void {
  if (!socket.writable) return void socket.destroy();
  const body = problemBody(p);
  socket.end(
    `HTTP/1.1 ${p.status} ${reason}\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
