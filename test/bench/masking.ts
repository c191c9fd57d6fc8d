/**
 * Masking alone, in-process: µs per DataRow of 8 text columns through ResultMasker.dataRow with the
 * example policy's masking (every detector, a pattern, a column rule on a column not in the row), for
 * rows with nothing to mask and rows whose every value is a card number (CPU time of the process, best of
 * 5 rounds). No thresholds; the ratio of the
 * two is what to compare across changes. `npx tsx test/bench/masking.ts` runs it alone.
 */
import { pathToFileURL } from 'node:url';
import { Masker } from '../../proxy/masking/masker.js';
import { ResultMasker, type RowPlan } from '../../proxy/postgres/result-masker.js';
import type { Message } from '../../proxy/postgres/protocol.js';

const ROWS = Number(process.env.BENCH_MASK_ROWS ?? 200_000);
const COLUMNS = 8;

function dataRow(values: string[]): Message {
  const body = values.map((v) => {
    const b = Buffer.from(v, 'utf8');
    const len = Buffer.alloc(4);
    len.writeInt32BE(b.length);
    return Buffer.concat([len, b]);
  });
  const head = Buffer.alloc(7);
  const total = body.reduce((n, b) => n + b.length, 0);
  head[0] = 0x44;
  head.writeInt32BE(6 + total, 1);
  head.writeInt16BE(values.length, 5);
  const buf = Buffer.concat([head, ...body]);
  return { type: 0x44, buf, start: 0, end: buf.length };
}

/** CPU time (not wall time: other load on the machine does not count) per row, the best of 5 rounds. */
function usPerRow(masker: ResultMasker, row: Message, plan: RowPlan): number {
  for (let i = 0; i < 5000; i++) masker.dataRow(row, plan);
  const n = Math.ceil(ROWS / 5);
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    const t0 = process.cpuUsage();
    for (let i = 0; i < n; i++) masker.dataRow(row, plan);
    const t = process.cpuUsage(t0);
    best = Math.min(best, (t.user + t.system) / n);
  }
  return best;
}

export function maskingBench(): void {
  const masker = new ResultMasker(
    new Masker({
      detectors: ['creditCard', 'email', 'usSsn', 'iban', 'secret'],
      columns: [{ name: 'ssn', strategy: 'redact' }],
      patterns: [{ name: 'employee-id', regex: 'EMP-[0-9]{6}', strategy: 'partial' }],
      defaultStrategy: 'redact',
    }),
  );
  const plan: RowPlan = Array.from({ length: COLUMNS }, (_, i) => ({ label: `c${i}`, typeOid: 25, binary: false }));
  const plain = dataRow([
    '42',
    'Ada Lovelace',
    '2026-11-30 09:00:00',
    'settled',
    '1234.50',
    'order 77812 shipped to Berlin',
    'EUR',
    'no remarks on this account',
  ]);
  const cards = dataRow(Array.from({ length: COLUMNS }, () => '4111 1111 1111 1111'));
  if (masker.dataRow(plain, plan) !== undefined) throw new Error('masking bench: the plain row was masked');
  if (masker.dataRow(cards, plan)?.count !== COLUMNS) throw new Error('masking bench: not every card was masked');
  const a = usPerRow(masker, plain, plan);
  const b = usPerRow(masker, cards, plan);
  console.log(
    `\n== masking, ResultMasker.dataRow, ${COLUMNS} text columns, ${ROWS} rows each (CPU µs per row, best of 5 rounds)`,
  );
  console.log(`  nothing to mask        ${a.toFixed(2)} µs/row`);
  console.log(`  every value a card     ${b.toFixed(2)} µs/row   (${(b / a).toFixed(1)}× the plain row)`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) maskingBench();
