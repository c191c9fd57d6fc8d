/**
 * Review 7 (lazy node:tls in proxy/postgres/handshake.ts): the agent-facing SSLRequest now awaits a dynamic
 * import between reading the request and answering 'S'. A hostile client must still not get bytes read as
 * plaintext, a second upgrade, or a crash. Driven with raw sockets against readStartup itself.
 */
import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { ByteQueue, readStartup } from '../../proxy/postgres/handshake.js';
import { newKeyPair } from '../support/self-signed.js';

const sslRequest = (): Buffer => {
  const b = Buffer.alloc(8);
  b.writeInt32BE(8, 0);
  b.writeInt32BE(80877103, 4);
  return b;
};
const startup = (params: Record<string, string>): Buffer => {
  const kv = Buffer.from(
    Object.entries(params)
      .flatMap(([k, v]) => [k, v])
      .join('\0') + '\0\0',
  );
  const b = Buffer.alloc(8);
  b.writeInt32BE(8 + kv.length, 0);
  b.writeInt32BE(196608, 4);
  return Buffer.concat([b, kv]);
};

describe('review7: SSLRequest with node:tls loaded on first use', function () {
  this.timeout(20_000);
  let key: Buffer;
  let cert: Buffer;
  let server: net.Server;
  let port: number;
  let results: Promise<{ ok?: { kind: string; tls: boolean; params?: Record<string, string> }; err?: string }>[];
  const uncaught: Error[] = [];
  const onUncaught = (e: Error): void => void uncaught.push(e);

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'r7-tls-'));
    const pair = newKeyPair(dir, '127.0.0.1');
    key = Buffer.from(pair.keyPem);
    cert = Buffer.from(pair.certPem);
    process.on('uncaughtException', onUncaught);
    server = net.createServer({ pauseOnConnect: true }, (raw) => {
      const q = new ByteQueue(raw);
      raw.resume();
      results.push(
        readStartup(q, raw, { tls: { key, cert } }).then(
          ({ packet, socket }) => {
            socket.destroy();
            return {
              ok: {
                kind: packet.kind,
                tls: socket instanceof tls.TLSSocket,
                ...(packet.kind === 'startup' ? { params: packet.params } : {}),
              },
            };
          },
          (e: Error) => {
            raw.destroy();
            return { err: e.message };
          },
        ),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as net.AddressInfo).port;
  });
  beforeEach(() => (results = []));
  after(() => {
    process.off('uncaughtException', onUncaught);
    server?.close();
  });

  const waitFor = async (n: number): Promise<Awaited<(typeof results)[number]>[]> => {
    for (let i = 0; i < 200 && results.length < n; i++) await new Promise((r) => setTimeout(r, 10));
    return Promise.all(results);
  };

  it('a StartupMessage pipelined behind the SSLRequest is refused, never answered with S', async () => {
    const c = net.connect(port, '127.0.0.1');
    let answer = Buffer.alloc(0);
    c.on('data', (d: Buffer) => (answer = Buffer.concat([answer, d])));
    c.on('error', () => undefined);
    c.write(Buffer.concat([sslRequest(), startup({ user: 'x', database: 'd' })]));
    const [r] = await waitFor(1);
    expect(r!.err).to.match(/data received after SSLRequest/);
    expect(answer.includes(0x53), 'no S').to.equal(false);
  });

  it('upgrades, reads the startup inside TLS, and refuses a second SSLRequest inside TLS', async () => {
    const up = (): Promise<tls.TLSSocket> =>
      new Promise((resolve, reject) => {
        const c = net.connect(port, '127.0.0.1', () => c.write(sslRequest()));
        c.once('data', (d: Buffer) => {
          expect(d.toString()).to.equal('S');
          const t = tls.connect({ socket: c, rejectUnauthorized: false }, () => resolve(t));
          t.on('error', reject);
        });
        c.on('error', reject);
      });
    // Two connections upgrading at once (the first import of node:tls may still be pending for both).
    const [a, b] = await Promise.all([up(), up()]);
    a.write(startup({ user: 'alice', database: 'd' }));
    b.on('error', () => undefined);
    b.write(sslRequest());
    const rs = await waitFor(2);
    const ok = rs.find((r) => r.ok);
    const err = rs.find((r) => r.err);
    expect(ok?.ok).to.deep.include({ kind: 'startup', tls: true });
    expect(ok?.ok?.params).to.deep.equal({ user: 'alice', database: 'd' });
    expect(err?.err).to.match(/SSLRequest received on a TLS connection/);
  });

  it('a client that closes or resets right after its SSLRequest crashes nothing', async () => {
    const fin = net.connect(port, '127.0.0.1', () => fin.end(sslRequest()));
    fin.on('error', () => undefined);
    const rst = net.connect(port, '127.0.0.1', () => {
      rst.write(sslRequest());
      rst.resetAndDestroy();
    });
    rst.on('error', () => undefined);
    const rs = await waitFor(2);
    await new Promise((r) => setTimeout(r, 200));
    expect(uncaught.map((e) => e.message)).to.deep.equal([]);
    for (const r of rs) expect(r.ok?.kind ?? 'refused').to.not.equal('startup');
  });
});
