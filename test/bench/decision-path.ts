/**
 * `npx tsx test/bench/decision-path.ts [BASE_DIR]`: CPU µs per statement of the proxy's decision path in
 * one process, with the example policy (detectors, a pattern, a column rule), a real audit file and
 * session recordings: a prepared statement's Execute (decide, record: the same classification each time)
 * and a simple-protocol statement with a new literal each time (parse, shapes, fingerprint, resolve,
 * decide, record), each followed by its completion record. With BASE_DIR (another checkout of these
 * sources, e.g. `git archive <commit> | tar -x -C DIR` with node_modules linked), the same is measured
 * from its modules too, rounds alternating, so before and after share the machine's load. No thresholds.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const N = Number(process.env.BENCH_N ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

interface Variant {
  name: string;
  prepared: () => void;
  simple: (i: number) => void;
  close: () => void;
}

async function variant(name: string, root: string): Promise<Variant> {
  const imp = (p: string) => import(join(root, p));
  const { AuditLog } = await imp('proxy/audit/audit-log.ts');
  const { Gate } = await imp('proxy/gate/gate.ts');
  const { sqlRequest } = await imp('proxy/gate/sql-request.ts');
  const { compilePolicy } = await imp('proxy/policy/runtime.ts');
  const { loadPolicyFile } = await imp('proxy/policy/load.ts');
  const { StatementClassifier } = await imp('proxy/sql/classifier.ts');
  const { SqlParser } = await imp('proxy/sql/parser.ts');
  const { resolveShape } = await imp('proxy/sql/resolve.ts');
  const { catalogWith } = await imp('test/support/caps-catalog.ts');
  const policy = loadPolicyFile(join(root, 'examples/local/policy.yaml')).policy;
  const rt = compilePolicy(policy, { hashKey: Buffer.alloc(32, 1) });
  const dir = mkdtempSync(join(tmpdir(), `agentgate-decision-path-${name}-`));
  const audit = new AuditLog({ file: join(dir, 'audit.log'), recordingsDir: join(dir, 'recordings') });
  const gate = new Gate({ runtime: () => rt, audit });
  const target = policy.spec.targets[0];
  const principal = { iss: 'https://issuer.example', sub: 'agent-1', iat: 0, exp: 2 ** 31, claims: {} };
  const scope = audit.scope({
    session: { id: 'session-1' },
    connection: 'c1',
    principal: { iss: principal.iss, sub: principal.sub },
    target: target.name,
  });
  const catalog = catalogWith({
    relations: [{ schema: 'public', name: 'pgbench_accounts' }],
    searchPath: ['pg_catalog', 'public'],
    hiddenWrites: [],
  });
  const parser = SqlParser.create();
  await parser.load();
  const classifier = new StatementClassifier(parser);
  const text = (i: number) => `SELECT abalance FROM pgbench_accounts WHERE aid = ${i};`;
  const classify = (sql: string) => {
    const r = classifier.shapes(sql);
    if (r instanceof Promise || !r.ok) throw new Error('unexpected parse outcome');
    return r.shapes.map((s: unknown) => resolveShape(s as never, sql, catalog));
  };
  const run = (classes: unknown[], protocol: string, kept = false) => {
    const v = gate.check(
      sqlRequest({
        target,
        principal,
        audit: scope,
        protocol,
        operations: classes.map((c) => ({ classification: c, kept })),
        stage: 'run',
        catalog,
        closed: () => false,
      }),
    );
    if (v.kind !== 'forward') throw new Error(`not forwarded: ${JSON.stringify(v)}`);
    scope.defer({
      event: { action: 'statement.completion', outcome: 'success', duration: 12345 },
      decisionSeq: v.records[0],
      db: { operation: { name: 'SELECT' }, response: { returned_rows: 1 } },
      maskedValues: 0,
    });
  };
  const prepared = classify('SELECT abalance FROM pgbench_accounts WHERE aid = $1;');
  return {
    name,
    prepared: () => run(prepared, 'extended', true),
    simple: (i) => run(classify(text(i)), 'simple'),
    close: () => {
      audit.close();
      void parser.close();
    },
  };
}

function cpuUs(fn: (i: number) => void, from: number): number {
  const t0 = process.cpuUsage();
  for (let i = 0; i < N; i++) fn(from + i);
  const t = process.cpuUsage(t0);
  return (t.user + t.system) / N;
}

const here = resolve(import.meta.dirname, '../..');
const base = process.argv[2];
const variants = [await variant('this', here), ...(base ? [await variant('base', resolve(base))] : [])];
const results = new Map<string, { prepared: number[]; simple: number[] }>();
for (const v of variants) {
  results.set(v.name, { prepared: [], simple: [] });
  cpuUs(() => v.prepared(), 0);
  cpuUs((i) => v.simple(i), 1e9);
}
let literal = 2e9;
for (let r = 0; r < ROUNDS; r++) {
  for (const v of r % 2 ? [...variants].reverse() : variants) {
    const out = results.get(v.name)!;
    out.prepared.push(cpuUs(() => v.prepared(), 0));
    out.simple.push(cpuUs((i) => v.simple(i), literal));
    literal += N;
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const range = (xs: number[]) => `${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}`;
console.log(`CPU µs per statement (decide + record + completion record), ${ROUNDS} rounds of ${N}, median (range):`);
for (const [name, r] of results)
  console.log(
    `  ${name.padEnd(5)} prepared Execute ${median(r.prepared).toFixed(1)} (${range(r.prepared)})   simple, new literal ${median(r.simple).toFixed(1)} (${range(r.simple)})`,
  );
if (base) {
  const a = results.get('this')!;
  const b = results.get('base')!;
  console.log(
    `  this / base: prepared ${(median(a.prepared) / median(b.prepared)).toFixed(3)}, simple ${(median(a.simple) / median(b.simple)).toFixed(3)}`,
  );
}
for (const v of variants) v.close();
