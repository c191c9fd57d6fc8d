/**
 * Review of HTTP targets (issue #12): a response head Node's client accepts but Node's server cannot
 * send on (status 099, an unsolicited 101) must not throw out of the proxy: the sidecar process also
 * serves every other agent and the Postgres targets. The upstream is a raw socket server.
 */
import { expect } from 'chai';
import net from 'node:net';
import { startHttpStack, type HttpStack } from '../support/http-stack.js';

describe('rev12: odd upstream status lines', function () {
  this.timeout(30_000);
  let upstream: net.Server;
  let s: HttpStack;
  let token: string;
  const uncaught: Error[] = [];
  const onUncaught = (e: Error): void => void uncaught.push(e);
  let mochaHandlers: NodeJS.UncaughtExceptionListener[] = [];

  before(async () => {
    upstream = net.createServer((sock) => {
      sock.on('error', () => undefined);
      sock.once('data', (d) => {
        const path = /^[A-Z]+ (\S+)/.exec(d.toString('latin1'))?.[1] ?? '/';
        if (path === '/s099')
          return sock.end('HTTP/1.1 099 Odd\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}');
        if (path === '/s101')
          return sock.end(
            'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nraw-bytes-after-upgrade eve@example.com',
          );
        if (path === '/s999')
          return sock.end('HTTP/1.1 999 Odd\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}');
        sock.end('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}');
      });
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    s = await startHttpStack({
      targets: [
        {
          name: 'plain',
          protocol: 'http',
          listen: '127.0.0.1:1',
          upstream: { url: `http://127.0.0.1:${(upstream.address() as net.AddressInfo).port}` },
        },
      ],
      defaultAction: 'Allow',
    });
    token = await s.token('agent-odd');
    // Mocha turns an uncaught exception into a failure of whatever runs; here it is counted instead.
    mochaHandlers = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    process.on('uncaughtException', onUncaught);
  });

  after(async () => {
    process.removeListener('uncaughtException', onUncaught);
    for (const h of mochaHandlers) process.on('uncaughtException', h);
    await s?.stop();
    upstream?.close();
  });

  const get = async (path: string): Promise<number> => {
    try {
      const r = await fetch(`${s.url('plain')}${path}`, {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(3000),
      });
      await r.arrayBuffer();
      return r.status;
    } catch {
      return 0;
    }
  };

  it('status 099 and an unsolicited 101 are a 502 (999 passes), nothing thrown, no request left hanging, the next request served', async () => {
    for (const p of ['/s099', '/s101', '/s999']) {
      const status = await get(p);
      await new Promise((r) => setTimeout(r, 100));
      expect(
        uncaught.map((e) => e.message),
        p,
      ).to.deep.equal([]);
      expect(status, p).to.equal(p === '/s999' ? 999 : 502);
      expect(await get('/fine'), p).to.equal(200);
    }
  });
});
