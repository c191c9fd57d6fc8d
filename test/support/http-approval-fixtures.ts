/**
 * What the HTTP approval integration tests share: an upstream that records what reached it, the `pay`
 * target in front of it, the hash an approval is bound to, and the agent's POST /refunds.
 */
import http from 'node:http';
import type net from 'node:net';
import { approvalBinding, parseJsonBody } from '../../proxy/http/request-facts.js';
import { parseRequestPath } from '../../shared/policy-language/path-template.js';
import type { HttpStack } from './http-stack.js';

export interface RecordingUpstream {
  url: string;
  close(): void;
}

/** An HTTP upstream on loopback that answers 200 `{"ok":true}` and pushes every body it got to `received`. */
export async function startRecordingUpstream(received: string[]): Promise<RecordingUpstream> {
  const server = http.createServer((req, res) => {
    let b = '';
    req.on('data', (c) => (b += c));
    req.on('end', () => {
      received.push(b);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, close: () => server.close() };
}

/** The HTTP target `pay`, forwarding to `url`. */
export const payTarget = (url: string) => ({ name: 'pay', protocol: 'http', listen: '127.0.0.1:1', upstream: { url } });

/** What an HTTP approval is bound to: the sha256 of method, path and canonical body. */
export const approvalSha = (method: string, path: string, body: string): string =>
  approvalBinding(method, parseRequestPath(path), Buffer.from(body), parseJsonBody(Buffer.from(body)));

/** The agent's JSON POST /refunds through the proxy's `pay` target. */
export const postRefund = (s: HttpStack, token: string, body: string, signal?: AbortSignal): Promise<Response> =>
  fetch(`${s.url('pay')}/refunds`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body,
    ...(signal ? { signal } : {}),
  });
