/**
 * spec.protocolLimits: validation, defaults, and how the framer and the startup reader hold them —
 * a message over the limit is refused from its header (before any of it is buffered), and a client
 * that floods the handshake is paused instead of buffered.
 */
import { expect } from 'chai';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ByteQueue } from '../../proxy/postgres/handshake.js';
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_MAX_STATEMENT_BYTES,
  oversizedStatement,
  protocolLimits,
} from '../../proxy/postgres/limits.js';
import { Framer, MessageTooLarge, ProtocolError } from '../../proxy/postgres/protocol.js';
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';
import { PolicyValidationError, validatePolicy } from '../../shared/contract/validate-policy.js';

const EXAMPLE = new URL('../../examples/local/policy.yaml', import.meta.url);
const example = (): AgentAccessPolicy => parseYaml(readFileSync(EXAMPLE, 'utf8')) as AgentAccessPolicy;
const errorsOf = (doc: unknown): string[] => {
  try {
    validatePolicy(doc);
    return [];
  } catch (e) {
    return (e as PolicyValidationError).errors.map((x) => `${x.path}: ${x.message}`);
  }
};

describe('protocol limits (spec.protocolLimits)', () => {
  it('validates: known fields, bounds, and a statement limit no larger than the message limit', () => {
    const ok = example();
    ok.spec.protocolLimits = { maxMessageBytes: 1 << 20, maxStatementBytes: 1 << 16 };
    expect(errorsOf(ok)).to.deep.equal([]);
    const tiny = example();
    tiny.spec.protocolLimits = { maxMessageBytes: 100 };
    expect(errorsOf(tiny).join('\n')).to.match(/spec\.protocolLimits\.maxMessageBytes: must be >= 65536/);
    const inverted = example();
    inverted.spec.protocolLimits = { maxMessageBytes: 1 << 17, maxStatementBytes: 1 << 18 };
    expect(errorsOf(inverted)).to.deep.equal(['spec.protocolLimits.maxStatementBytes: cannot exceed maxMessageBytes']);
    const unknown = example();
    (unknown.spec as unknown as Record<string, unknown>).protocolLimits = { maxBytes: 1 };
    expect(errorsOf(unknown).join('\n')).to.match(/spec\.protocolLimits\.maxBytes: unknown field/);
  });

  it('defaults to 64 MiB messages, 1 MiB statements and 32 MiB held by prepared statements', () => {
    expect(protocolLimits(example().spec)).to.deep.equal({
      maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
      maxStatementBytes: DEFAULT_MAX_STATEMENT_BYTES,
      maxPreparedBytes: 32 * 1024 * 1024,
    });
    expect(DEFAULT_MAX_MESSAGE_BYTES).to.equal(64 * 1024 * 1024);
    expect(DEFAULT_MAX_STATEMENT_BYTES).to.equal(1024 * 1024);
  });

  it('measures statements in UTF-8 bytes and names the limit', () => {
    const limits = { maxMessageBytes: 1 << 20, maxStatementBytes: 2048 };
    expect(oversizedStatement('x'.repeat(2048), limits)).to.equal(undefined);
    const o = oversizedStatement('é'.repeat(1025), limits)!; // 1025 characters, 2050 bytes
    expect(o.error).to.deep.equal({
      code: '54000',
      message:
        'agentgate: statement of 2050 bytes exceeds the limit of 2048 bytes (spec.protocolLimits.maxStatementBytes); nothing was executed',
    });
    expect(o.classification.text).to.not.include('é');
  });

  it('the framer refuses a message over the limit from its header, even split across chunks', () => {
    const header = Buffer.from([0x51, 0, 0x10, 0, 0]); // 'Q', length 1 MiB
    const f = new Framer(() => 64 * 1024);
    f.push(header.subarray(0, 2), () => undefined);
    let err: unknown;
    try {
      f.push(header.subarray(2), () => undefined);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(MessageTooLarge);
    expect((err as ProtocolError).sqlState).to.equal('54000');
    expect((err as Error).message).to.equal(
      'message "Q" of 1048576 bytes exceeds the limit of 65536 bytes (spec.protocolLimits.maxMessageBytes)',
    );
  });

  it('the framer reassembles messages split anywhere, byte by byte', () => {
    const msgs = [Buffer.from('Q\0\0\0\x09abcd\0'), Buffer.from('S\0\0\0\x04'), Buffer.from('X\0\0\0\x04')];
    const stream = Buffer.concat(msgs);
    const f = new Framer();
    const got: string[] = [];
    for (let i = 0; i < stream.length; i++)
      f.push(stream.subarray(i, i + 1), (m) => got.push(m.buf.subarray(m.start, m.end).toString('latin1')));
    expect(got).to.deep.equal(msgs.map((b) => b.toString('latin1')));
    expect(f.pending).to.equal(0);
  });

  it('the startup reader pauses a client that floods the handshake instead of buffering it', async () => {
    const server = net.createServer({ pauseOnConnect: true });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
    const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    client.on('error', () => undefined);
    const socket = await accepted;
    const q = new ByteQueue(socket);
    socket.resume();
    const flood = Buffer.alloc(64 * 1024, 0x61);
    for (let i = 0; i < 256; i++) client.write(flood); // 16 MiB
    await new Promise((r) => setTimeout(r, 500));
    expect(q.buffered).to.be.lessThan(2 * 1024 * 1024);
    expect((await q.take(1000)).length).to.equal(1000);
    client.destroy();
    socket.destroy();
    server.close();
  });
});
