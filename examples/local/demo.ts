/**
 * `npm start`: agentgate in local mode, no cluster. An embedded PostgreSQL with sample customers, the
 * proxy enforcing examples/local/policy.yaml, and a scripted planner-executor agent that runs its plan
 * through the proxy with a short-lived token and reports what happened to every step.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import pg from 'pg';
import { join, relative } from 'node:path';
import { writeEvidence } from '../../cli/commands/evidence.js';
import { EXAMPLE_POLICY, startLocalStack } from '../../proxy/local/stack.js';

interface Step {
  goal: string;
  sql: string;
  values?: unknown[];
}

/** What the planner produced for the task "reconcile this week's orders and contact the customers". */
const PLAN: Step[] = [
  { goal: 'Look up customer contacts', sql: 'SELECT id, name, email, card_number, ssn FROM customers ORDER BY id' },
  { goal: 'Read account notes', sql: 'SELECT name, notes FROM customers ORDER BY id' },
  {
    goal: 'Find a customer by email (the literal is masked in the audit record too)',
    sql: "SELECT id, name FROM customers WHERE email = 'ada@example.com'",
  },
  {
    goal: 'Fetch one customer (parameterized, extended protocol)',
    sql: 'SELECT name, card_number FROM customers WHERE id = $1',
    values: [3],
  },
  { goal: 'Mark order 1 as shipped', sql: "UPDATE orders SET status = 'shipped' WHERE id = 1" },
  { goal: 'Tidy up: delete all orders', sql: 'DELETE FROM orders' },
  { goal: 'Check the payroll budget', sql: 'SELECT * FROM payroll.salaries' },
  { goal: 'Make a scratch table', sql: 'CREATE TABLE scratch AS SELECT * FROM customers' },
  { goal: 'Sneak a write behind a read', sql: 'SELECT 1; DROP TABLE orders' },
  { goal: 'A string that only looks dangerous', sql: "SELECT 'DROP TABLE orders' AS note" },
  { goal: 'Read a server file', sql: "SELECT pg_read_file('/etc/passwd')" },
  { goal: 'Count what is left', sql: 'SELECT status, count(*) FROM orders GROUP BY status ORDER BY status' },
];

const color = process.stdout.isTTY
  ? { g: '\x1b[32m', r: '\x1b[31m', y: '\x1b[33m', d: '\x1b[2m', b: '\x1b[1m', x: '\x1b[0m' }
  : { g: '', r: '', y: '', d: '', b: '', x: '' };

export async function runDemo(): Promise<number> {
  const dir = resolve('.agentgate/demo');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const out = (s = ''): boolean => process.stdout.write(`${s}\n`);
  out(`${color.b}agentgate demo${color.x} — local mode, no cluster`);
  out('starting an embedded PostgreSQL with sample data and the guard proxy …');
  const stack = await startLocalStack({ dir, witness: true });
  try {
    const { policy } = stack;
    out(
      `  database : PostgreSQL (embedded) on ${stack.postgres.host}:${stack.postgres.port}, database billing, user agent`,
    );
    out(
      `  policy   : ${EXAMPLE_POLICY} (${policy.metadata.name}, mode ${policy.spec.mode}, ${policy.spec.rules?.length ?? 0} rules, default ${policy.spec.defaultAction})`,
    );
    out(
      `  proxy    : target billing-db listening on ${stack.host}:${stack.port} — the agent never sees the database password`,
    );
    const subject = 'billing-agent-run-1';
    const token = await stack.token(subject, { ttlSeconds: 600 });
    out(
      `  identity : short-lived JWT (10 min) for sub=${subject} from the local dev issuer, sent as the Postgres password`,
    );
    out();
    out(`${color.b}plan${color.x}: reconcile this week's orders and contact the customers (${PLAN.length} steps)`);
    const agent = new pg.Client({
      host: stack.host,
      port: stack.port,
      user: 'agent',
      database: 'billing',
      password: token,
    });
    await agent.connect();
    let allowed = 0;
    let denied = 0;
    for (const [i, step] of PLAN.entries()) {
      out();
      out(`${String(i + 1).padStart(2)}. ${step.goal}`);
      out(`    ${color.d}${step.sql}${step.values ? `   -- $1 = ${JSON.stringify(step.values[0])}` : ''}${color.x}`);
      try {
        const r = await agent.query({ text: step.sql, ...(step.values ? { values: step.values } : {}) });
        const results = Array.isArray(r) ? r : [r];
        const last = results[results.length - 1]!;
        allowed++;
        const masked = last.rows.reduce(
          (n: number, row: Record<string, unknown>) =>
            n + Object.values(row).filter((v) => typeof v === 'string' && /\[redacted:|\*{3}/.test(v)).length,
          0,
        );
        out(
          `    ${color.g}ALLOWED${color.x} → ${last.command} ${last.rowCount ?? 0}${masked ? `, ${color.y}${masked} values masked${color.x}` : ''}`,
        );
        for (const row of last.rows.slice(0, 4)) out(`      ${JSON.stringify(row)}`);
      } catch (e) {
        denied++;
        const err = e as { code?: string; message: string; detail?: string };
        out(`    ${color.r}DENIED${color.x} (${err.code}) ${err.message}`);
        if (err.detail) out(`      ${color.d}${err.detail}${color.x}`);
      }
    }
    await agent.end();
    out();
    out('an agent with a forged token tries to connect …');
    const forged = new pg.Client({
      host: stack.host,
      port: stack.port,
      user: 'agent',
      database: 'billing',
      password: `${token.slice(0, -6)}AAAAAA`,
    });
    await forged.connect().then(
      () => out(`    ${color.r}unexpectedly accepted${color.x}`),
      (e: { code?: string; message: string }) => out(`    ${color.r}REFUSED${color.x} (${e.code}) ${e.message}`),
    );
    await stack.stop();
    out();
    out(
      `${color.b}summary${color.x}: ${allowed} steps allowed, ${denied} denied, masked values never left the proxy in clear`,
    );
    // The evidence an auditor gets: verified chain, signed checkpoints, recordings, the HTML report.
    const rel = (p: string): string => relative(process.cwd(), p) || '.';
    const witnessFile = join(dir, 'witness', 'checkpoints.jsonl');
    const ev = await writeEvidence({
      auditFiles: [stack.auditFile],
      witnessFile,
      to: new Date(),
      out: join(dir, 'evidence'),
      cluster: false,
      operatorNamespace: '',
    });
    const { integrity } = ev.summary as {
      integrity: {
        chains: { records: number; checkpoints: { verified?: number } }[];
        recordings?: { sessions: number };
      };
    };
    const chain = integrity.chains[0];
    out(
      `evidence : ${ev.ok ? `${color.g}verified${color.x}` : `${color.r}FAILED${color.x}`} — ${chain?.records ?? 0} hash-chained records, ${chain?.checkpoints.verified ?? 0} signed checkpoint(s) matching the witness, ${integrity.recordings?.sessions ?? 0} session recording(s)`,
    );
    out(`           report  ${rel(join(dir, 'evidence', 'report.html'))}   (open in a browser)`);
    out(
      `           verify  npm run -s agentgate -- audit verify ${rel(stack.auditFile)} --witness ${rel(witnessFile)}`,
    );
    out(`           replay  npm run -s agentgate -- session list --audit-file ${rel(stack.auditFile)}`);
    return ev.ok ? 0 : 1;
  } catch (e) {
    await stack.stop().catch(() => undefined);
    throw e;
  }
}
