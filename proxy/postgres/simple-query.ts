/** Runs one simple-protocol query on an upstream session the proxy owns (catalog reads). */
import type { Socket } from 'node:net';
import { bodyReader, Framer, parseErrorNotice, queryMessage, type Message } from './protocol.js';

/** The server answered the query with an error; the session is still in step (it sent ReadyForQuery). */
export class ServerQueryError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

export function simpleQuery(socket: Socket, sql: string, timeoutMs = 15_000): Promise<(string | null)[][]> {
  return new Promise((resolve, reject) => {
    const framer = new Framer();
    const rows: (string | null)[][] = [];
    let error: Error | undefined;
    const timer = setTimeout(() => done(new Error('catalog query timed out')), timeoutMs);
    const done = (e?: Error): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.pause();
      if (e) reject(e);
      else resolve(rows);
    };
    const onClose = (): void => done(new Error('connection closed during catalog query'));
    const onMessage = (m: Message): void => {
      const type = String.fromCharCode(m.type);
      if (type === 'D') {
        const r = bodyReader(m, 'DataRow');
        const n = r.int16();
        const row: (string | null)[] = [];
        for (let i = 0; i < n; i++) {
          const len = r.int32();
          row.push(len < 0 ? null : r.bytes(len).toString('utf8'));
        }
        rows.push(row);
      } else if (type === 'E') {
        const notice = parseErrorNotice(m);
        error = new ServerQueryError(notice.message ?? 'query failed', notice.code);
      } else if (type === 'Z') {
        done(error);
      }
    };
    const onData = (d: Buffer): void => {
      try {
        framer.push(d, onMessage);
      } catch (e) {
        done(e as Error);
      }
    };
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.write(queryMessage(sql));
    socket.resume();
  });
}
