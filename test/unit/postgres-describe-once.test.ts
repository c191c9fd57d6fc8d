/**
 * An Execute whose portal has no masking plan yet gets one from a Describe the proxy adds, unless a
 * Describe of that portal is already on its way with nothing run since (libpq's Bind, Describe, Execute, Sync): then the
 * server is asked once, and the ruled column is masked either way. The session runs on in-memory
 * sockets with a scripted server, so the bytes sent upstream can be counted.
 */
import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog } from '../../proxy/audit/audit-log.js';
import { Gate } from '../../proxy/gate/gate.js';
import { loadPolicyFile } from '../../proxy/policy/load.js';
import { compilePolicy } from '../../proxy/policy/runtime.js';
import { message, readyForQuery } from '../../proxy/postgres/protocol.js';
import { PgSession } from '../../proxy/postgres/session.js';
import { StatementClassifier } from '../../proxy/sql/classifier.js';
import { SqlParser } from '../../proxy/sql/parser.js';
import type { TargetSpec } from '../../shared/contract/policy-types.js';
import { catalogWith } from '../support/caps-catalog.js';
import { fe } from '../support/raw-client.js';
import { MemorySocket } from '../support/memory-socket.js';

const PEOPLE = 16_500;
const cstr = (s: string) => Buffer.from(`${s}\0`);
const int16 = (n: number) => Buffer.from([n >> 8, n & 255]);
const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const none = Buffer.alloc(0);
// ssn: text (OID 25), column 2 of people; the example policy redacts it.
const rowDescription = message(
  'T',
  Buffer.concat([int16(1), cstr('ssn'), int32(PEOPLE), int16(2), int32(25), int16(-1), int32(-1), int16(0)]),
);
const ssnValue = Buffer.from('123-45-6789');
const dataRow = message('D', Buffer.concat([int16(1), int32(ssnValue.length), ssnValue]));
/** The server's transaction status: a Query is only ever BEGIN here, and ReadyForQuery says 'T' after it. */
let status = 0x49;
/** What the server answers these message types. */
function answers(types: string): Buffer {
  const out: Buffer[] = [];
  for (const t of types) {
    if (t === 'P') out.push(message('1', none));
    else if (t === 'B') out.push(message('2', none));
    else if (t === 'D') out.push(rowDescription);
    else if (t === 'E') out.push(dataRow, message('C', cstr('SELECT 1')));
    else if (t === 'S') out.push(readyForQuery(status));
    else if (t === 'Q') out.push(message('C', cstr('BEGIN')), readyForQuery((status = 0x54)));
    else throw new Error(`no scripted answer to ${t}`);
  }
  return Buffer.concat(out);
}

function types(bytes: Buffer): string {
  let out = '';
  for (let pos = 0; pos < bytes.length; pos += 1 + bytes.readInt32BE(pos + 1)) out += String.fromCharCode(bytes[pos]!);
  return out;
}

describe('postgres session: one Describe per Execute that needs a masking plan', () => {
  const parser = SqlParser.create();
  let toServer: Buffer[] = [];
  let toAgent: Buffer[] = [];
  let agent: MemorySocket;
  let server: MemorySocket;
  let audit: AuditLog;

  before(async () => {
    await parser.load();
  });
  after(() => parser.close());

  /** A session under the example policy (in `mode`), with statement s1 (`SELECT ssn FROM people`) prepared. */
  async function open(mode: 'Enforce' | 'Audit' = 'Enforce'): Promise<void> {
    const policy = loadPolicyFile(join(import.meta.dirname, '../../examples/local/policy.yaml')).policy;
    policy.spec.mode = mode;
    const rt = compilePolicy(policy, { hashKey: Buffer.alloc(32, 1) });
    audit = new AuditLog({ file: join(mkdtempSync(join(tmpdir(), 'agentgate-describe-once-')), 'audit.log') });
    const catalog = catalogWith({
      relations: [{ schema: 'public', name: 'people', oid: PEOPLE, attributes: 2 }],
      columns: [{ relid: PEOPLE, attnum: 2, name: 'ssn', relation: 'people' }],
      searchPath: ['pg_catalog', 'public'],
      hiddenWrites: [],
    });
    toServer = [];
    toAgent = [];
    status = 0x49;
    agent = new MemorySocket((b) => toAgent.push(b));
    server = new MemorySocket((b) => toServer.push(b));
    const session = new PgSession(
      agent as unknown as Socket,
      server as unknown as Socket,
      {
        target: policy.spec.targets[0] as TargetSpec,
        runtime: () => rt,
        classifier: new StatementClassifier(parser),
        catalog: () => catalog,
        audit,
        principal: { iss: 'https://issuer.example', sub: 'agent-1', iat: 0, exp: 2 ** 31, claims: {} },
        sessionId: 'session-1',
        connectionId: 'c1',
        gate: new Gate({ runtime: () => rt, audit, events: () => undefined }),
        events: () => undefined,
      },
      0x49,
    );
    session.start();
    await roundTrip(Buffer.concat([fe.parse({ name: 's1', text: 'SELECT ssn FROM people' }), fe.sync()]));
  }
  afterEach(() => audit.close());

  /** The agent's messages in, the server's answers out; returns the message types that went upstream and the agent's bytes. */
  async function roundTrip(request: Buffer): Promise<{ upstream: string; agentGot: Buffer }> {
    agent.emit('data', request);
    for (let i = 0; i < 200 && toServer.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    const sent = Buffer.concat(toServer);
    toServer = [];
    const upstream = types(sent);
    server.emit('data', answers(upstream));
    const agentGot = Buffer.concat(toAgent);
    toAgent = [];
    return { upstream, agentGot };
  }

  const bindTo = (portal: string) => fe.bind({ portal, statement: 's1' });
  const describeOf = (name: string) => fe.describe({ type: 'P', name });
  const executeOf = (portal: string) => fe.execute({ portal });
  const [bind, describe, execute] = [bindTo(''), describeOf(''), executeOf('')];
  const sync = fe.sync();

  it("Bind, Describe, Execute, Sync (libpq): the agent's Describe makes the plan; the ssn is masked", async () => {
    await open();
    const r = await roundTrip(Buffer.concat([bind, describe, execute, sync]));
    expect(r.upstream).to.equal('BDES');
    expect(types(r.agentGot)).to.equal('2TDCZ');
    expect(r.agentGot.includes(ssnValue)).to.equal(false);
  });

  it('Bind, Execute, Sync (no Describe): the proxy adds one and keeps its answer from the agent; the ssn is masked', async () => {
    await open();
    const r = await roundTrip(Buffer.concat([bind, execute, sync]));
    expect(r.upstream).to.equal('BDES');
    expect(types(r.agentGot)).to.equal('2DCZ');
    expect(r.agentGot.includes(ssnValue)).to.equal(false);
  });

  it('Bind, Execute, Execute, Sync: the first Execute ran after the Describe added for it, so the second gets its own', async () => {
    await open();
    const r = await roundTrip(Buffer.concat([bind, execute, execute, sync]));
    expect(r.upstream).to.equal('BDEDES');
    expect(types(r.agentGot)).to.equal('2DCDCZ');
    expect(r.agentGot.includes(ssnValue)).to.equal(false);
  });

  it('Bind, Describe, Sync, then Execute, Sync: the portal is described already; nothing is added', async () => {
    await open();
    const begin = await roundTrip(fe.query('BEGIN'));
    expect(begin.upstream).to.equal('Q');
    const first = await roundTrip(Buffer.concat([bind, describe, sync]));
    expect(first.upstream).to.equal('BDS');
    const r = await roundTrip(Buffer.concat([execute, sync]));
    expect(r.upstream).to.equal('ES');
    expect(r.agentGot.includes(ssnValue)).to.equal(false);
  });

  it("a portal read after another statement ran (Audit mode lets the stale read go on): the agent's earlier Describe is not trusted; one is added", async () => {
    await open('Audit');
    const r = await roundTrip(
      Buffer.concat([bindTo('a'), describeOf('a'), bindTo('b'), executeOf('b'), executeOf('a'), sync]),
    );
    expect(r.upstream).to.equal('BDBDEDES');
    expect(r.agentGot.includes(ssnValue)).to.equal(false);
  });
});
