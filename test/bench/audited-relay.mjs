/**
 * The least a Node proxy that keeps agentgate's audit guarantee can do per statement: a TCP relay that
 * frames what the agent sends, looks each statement's decision up in a Map (by its text, then by its
 * literal template, as the proxy's classifier does for a hit), writes the decision record with the
 * proxy's own audit log (serialized, SHA-256-chained, `writeSync` before forwarding) and forwards.
 * No parsing, no masking, no session state, no completion records. The bench runs it beside the bare
 * relay and agentgate (test/bench/pgbench.ts): the gap to the bare relay is what the guarantee costs,
 * the gap to agentgate what the rest of the check costs.
 *
 * Run: node audited-relay.mjs <server port> <compiled app dir (dist/bench-app)> <audit file>; prints its port.
 */
import net from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [serverPort, appDir, auditFile] = process.argv.slice(2);
const { AuditLog } = await import(pathToFileURL(join(appDir, 'proxy/audit/audit-log.js')).href);
const { literalTemplate } = await import(pathToFileURL(join(appDir, 'proxy/sql/literal-template.js')).href);

const audit = new AuditLog({ file: auditFile, stdout: false });
const ALLOW = { decision: 'Allow', rule: 'allow-reads' };
/** Text or template key → decision (every statement is allowed: the cost of a hit is what is measured). */
const decisions = new Map();

function decide(sql) {
  let d = decisions.get(sql);
  if (d) return d;
  const key = literalTemplate(sql, 4096)?.key ?? sql;
  d = decisions.get(key) ?? ALLOW;
  decisions.set(key, d);
  return d;
}

const PROTOCOL_3 = 196608;
const EMPTY = Buffer.alloc(0);
let sessions = 0;

const server = net.createServer({ noDelay: true }, (client) => {
  const session = `bench-${++sessions}`;
  const scoped = audit.scope({
    session: { id: session },
    principal: { iss: 'bench', sub: 'system:serviceaccount:bench:agent' },
    target: 'billing',
  });
  const upstream = net.connect({ port: Number(serverPort), host: '127.0.0.1', noDelay: true });
  const statements = new Map(); // prepared statement name → text
  const portals = new Map(); // portal name → text
  let startup = true;
  let held = EMPTY;

  const record = (sql, protocol) => {
    const d = decide(sql);
    scoped.append({
      event: { action: 'statement.decision', outcome: 'success' },
      db: { query: { text: sql } },
      protocol,
      decision: d.decision,
      enforced: false,
      rule: { name: d.rule },
    });
  };
  const cstring = (buf, at) => {
    const end = buf.indexOf(0, at);
    return [buf.toString('utf8', at, end), end + 1];
  };
  const onMessage = (buf, at) => {
    const type = buf[at];
    const body = at + 5;
    if (type === 0x51 /* Q */) record(cstring(buf, body)[0], 'simple');
    else if (type === 0x50 /* P */) {
      const [name, next] = cstring(buf, body);
      statements.set(name, cstring(buf, next)[0]);
    } else if (type === 0x42 /* B */) {
      const [portal, next] = cstring(buf, body);
      portals.set(portal, statements.get(cstring(buf, next)[0]) ?? '');
    } else if (type === 0x45 /* E */) record(portals.get(cstring(buf, body)[0]) ?? '', 'extended');
  };

  client.on('data', (chunk) => {
    const buf = held.length ? Buffer.concat([held, chunk]) : chunk;
    let at = 0;
    while (true) {
      if (startup) {
        if (buf.length - at < 8) break;
        const len = buf.readInt32BE(at);
        if (buf.length - at < len) break;
        if (buf.readInt32BE(at + 4) === PROTOCOL_3) startup = false; // not an SSLRequest, GSSENCRequest or CancelRequest
        at += len;
        continue;
      }
      if (buf.length - at < 5) break;
      const end = at + 1 + buf.readInt32BE(at + 1);
      if (buf.length < end) break;
      onMessage(buf, at);
      at = end;
    }
    if (at > 0) upstream.write(at === buf.length ? buf : buf.subarray(0, at));
    held = at === buf.length ? EMPTY : Buffer.from(buf.subarray(at));
  });
  upstream.on('data', (d) => client.write(d));
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
